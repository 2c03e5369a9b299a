"""Timing shared by the side-by-side bench workers (numpy_worker.py, torch_worker.py)."""
import statistics
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
