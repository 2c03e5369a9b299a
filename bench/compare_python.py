#!/usr/bin/env python3
"""Prints the trunkline bench table for NumPy and PyTorch on this machine, so the
ratio can be checked side by side. Optional: each library is used only if installed.

    python3 bench/compare_python.py [--threads N] [--quick]

Percentages use the FMA peak from the newest bench/results/*.json (run `npm run bench`
first, in the same session, for a fair comparison)."""
import argparse
import glob
import json
import os
import statistics
import time

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
ap.add_argument("--quick", action="store_true")
args = ap.parse_args()

# Thread counts must be set before the libraries start their pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

try:
    import numpy as np
except ImportError:
    np = None
try:
    import torch
    torch.set_num_threads(args.threads)
except ImportError:
    torch = None

peak = None
results = sorted(glob.glob(os.path.join(here, "results", "bench-*.json")))
if results:
    with open(results[-1]) as f:
        peaks = json.load(f)["peaks"]
    key = str(args.threads) if str(args.threads) in peaks else sorted(peaks, key=int)[-1]
    peak = peaks[key]["best"]


def median_seconds(fn):
    fn()
    samples, total = [], 0.0
    budget = 0.3 if args.quick else 1.5
    while (len(samples) < 5 or total < budget) and len(samples) < 200:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        samples.append(dt)
        total += dt
    return statistics.median(samples)


def row(lib, group, name, fn, flops=None, nbytes=None):
    s = median_seconds(fn)
    gf = flops / s / 1e9 if flops else None
    pct = f"{100 * gf / peak:6.0f}" if gf and peak else "      "
    print(f"{lib:7} {group:8} {name:36} {args.threads:3} {s * 1e3:10.3f} "
          f"{gf if gf is not None else float('nan'):8.1f} {pct} {nbytes / s / 1e9 if nbytes else float('nan'):6.1f}")


print(f"threads {args.threads}; FMA peak {peak if peak else 'unknown (run npm run bench first)'} GFLOP/s")
print(f"{'lib':7} {'group':8} {'case':36} thr  median ms  GFLOP/s % peak   GB/s")
square = [64, 128, 256, 512, 1024, 2048]
mlp = [(512, 256, 256), (4096, 1024, 1024)]

if np is not None:
    rng = np.random.default_rng(0)
    for s in square:
        a = rng.standard_normal((s, s), dtype=np.float32)
        b = rng.standard_normal((s, s), dtype=np.float32)
        row("numpy", "matmul", f"{s}^3", lambda: a @ b, 2 * s ** 3)
    for B, I, O in mlp:
        X = rng.standard_normal((B, I), dtype=np.float32)
        W = rng.standard_normal((I, O), dtype=np.float32)
        dY = rng.standard_normal((B, O), dtype=np.float32)
        fl = 2 * B * I * O
        row("numpy", "mlp", f"X@W     {B}x{I}x{O}", lambda: X @ W, fl)
        row("numpy", "mlp", f"X^T@dY  {B}x{I}x{O}", lambda: X.T @ dY, fl)
        row("numpy", "mlp", f"dY@W^T  {B}x{I}x{O}", lambda: dY @ W.T, fl)
    # Memory-bound rows, written as a NumPy user would, with preallocated outputs
    # (trunkline reuses freed buffers, so neither pays for fresh pages): the cases
    # `npm run bench:numpy` times, from bench/numpy_worker.py.
    from numpy_worker import build

    T = 4 * 4096 * 1000
    row("numpy", "elementw", "add 4096x1000", build("add:4096x1000"), None, 3 * T)
    row("numpy", "elementw", "relu 4096x1000", build("relu:4096x1000"), None, 2 * T)
    row("numpy", "softmax", "forward 4096x1000", build("softmax:4096x1000"), None, 2 * T)

if torch is not None:
    torch.manual_seed(0)
    with torch.no_grad():
        for s in square:
            a, b = torch.randn(s, s), torch.randn(s, s)
            row("torch", "matmul", f"{s}^3", lambda: a @ b, 2 * s ** 3)
        for B, I, O in mlp:
            X, W, dY = torch.randn(B, I), torch.randn(I, O), torch.randn(B, O)
            fl = 2 * B * I * O
            row("torch", "mlp", f"X@W     {B}x{I}x{O}", lambda: X @ W, fl)
            row("torch", "mlp", f"X^T@dY  {B}x{I}x{O}", lambda: X.t() @ dY, fl)
            row("torch", "mlp", f"dY@W^T  {B}x{I}x{O}", lambda: dY @ W.t(), fl)
    for name, n, c, o, h, k, p in [("fwd+bwd N32 C32->64 14x14 3x3 p1", 32, 32, 64, 14, 3, 1),
                                   ("fwd+bwd N64 C1->32 28x28 3x3", 64, 1, 32, 28, 3, 0)]:
        x = torch.randn(n, c, h, h, requires_grad=True)
        w = torch.randn(o, c, k, k, requires_grad=True)
        bias = torch.randn(o, requires_grad=True)
        oh = h + 2 * p - k + 1
        g = torch.randn(n, o, oh, oh)

        def step():
            x.grad = w.grad = bias.grad = None
            torch.nn.functional.conv2d(x, w, bias, padding=p).backward(g)

        row("torch", "conv2d", name, step, 3 * 2 * n * o * oh * oh * c * k * k)
    with torch.no_grad():
        logits = torch.randn(4096, 1000)
        row("torch", "softmax", "forward 4096x1000", lambda: torch.softmax(logits, -1), None, 2 * 4 * 4096 * 1000)
    logits = torch.randn(4096, 1000, requires_grad=True)
    labels = torch.randint(0, 1000, (4096,))

    def ce_step():
        logits.grad = None
        torch.nn.functional.cross_entropy(logits, labels).backward()

    row("torch", "softmax", "cross-entropy fwd+bwd 4096x1000", ce_step, None, 3 * 4 * 4096 * 1000)

if np is None and torch is None:
    print("neither numpy nor torch is installed; nothing to compare")
