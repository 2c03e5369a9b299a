"""The loop and timing shared by the side-by-side bench workers (numpy_worker.py,
torch_worker.py): bench/python-worker.ts speaks to them in lines."""
import statistics
import sys
import time


def median_seconds(fn, reps):
    """One warm-up call, then the median seconds of `reps` calls."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def serve(name, library, build, commands=None):
    """Says "ready <version>" ("no <name>" without the library), then answers each line
    "<case> <reps>" with the median seconds of <reps> calls of build(case) (built once),
    and each "<command> <args...>" in `commands` with what that command returns."""
    if library is None:
        print("no", name, flush=True)
        return
    print("ready", library.__version__, flush=True)
    cache = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if commands and words[0] in commands:
            print(commands[words[0]](*words[1:]), flush=True)
            continue
        case, reps = words[0], int(words[1])
        fn = cache.get(case) or cache.setdefault(case, build(case))
        print(median_seconds(fn, reps), flush=True)
