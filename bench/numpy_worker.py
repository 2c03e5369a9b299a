#!/usr/bin/env python3
"""Times NumPy on request, for bench/side-by-side.ts. Reads lines "<case> <reps>" on stdin
and answers each with the median seconds per call of <reps> calls. Cases are built on
first use. Thread counts come from the environment (OPENBLAS_NUM_THREADS and friends),
which the caller sets before starting this process. bench/compare_python.py imports
build() for the same memory-bound cases."""

from worker_timing import serve

try:
    import numpy as np
except ImportError:
    np = None

rng = np.random.default_rng(0) if np is not None else None


def build(case):
    kind, dims = case.split(":")
    d = [int(v) for v in dims.split("x")]
    if kind == "gemm":  # m x n x k, with transposes as an MLP step uses them: nn, tn, nt
        m, n, k, t = d
        c = np.empty((m, n), dtype=np.float32)  # preallocated, as trunkline's output is
        if t == 0:
            a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
            return lambda: np.matmul(a, b, out=c)
        if t == 1:
            a, b = rng.standard_normal((k, m), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
            return lambda: np.matmul(a.T, b, out=c)
        a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((n, k), dtype=np.float32)
        return lambda: np.matmul(a, b.T, out=c)
    if kind == "softmax":
        r, c = d
        x = rng.standard_normal((r, c), dtype=np.float32)
        y = np.empty_like(x)

        def softmax_rows():
            np.subtract(x, x.max(axis=1, keepdims=True), out=y)
            np.exp(y, out=y)
            np.divide(y, y.sum(axis=1, keepdims=True), out=y)

        return softmax_rows
    if kind in ("add", "relu"):
        r, c = d
        a, b = rng.standard_normal((r, c), dtype=np.float32), rng.standard_normal((r, c), dtype=np.float32)
        out = np.empty_like(a)
        if kind == "relu":
            return lambda: np.maximum(a, 0, out=out)
        return lambda: np.add(a, b, out=out)
    raise ValueError(f"unknown case {case}")


if __name__ == "__main__":
    serve("numpy", np, build)
