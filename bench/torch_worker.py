#!/usr/bin/env python3
"""Times PyTorch training steps on request, for bench/torch-steps.ts. Reads lines
"threads <n>" (torch.set_num_threads) and "<case> <reps>" on stdin, answering each case
with the median seconds per step of <reps> steps (after one untimed step). The steps are
written as bench/torch-steps.ts writes them with trunkline: same layer sizes, batch,
losses and Adam; forward, backward and optimizer step, nothing else."""
import ctypes

from worker_timing import serve

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    torch = None


def mlp_step():
    """MLP 256-512-256 (ReLU after each layer) + heads of 1 and 10 outputs, MSE + CE, Adam, batch 512."""

    class TwoHeadMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.trunk = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 256))
            self.value = nn.Linear(256, 1)
            self.cls = nn.Linear(256, 10)

        def forward(self, x):
            h = F.relu(self.trunk(x))
            return self.value(h), self.cls(h)

    g = torch.Generator().manual_seed(0)
    model = TwoHeadMLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(512, 256, generator=g)
    r = torch.randn(512, 1, generator=g)
    y = torch.randint(0, 10, (512,), generator=g)

    def step():
        v, logits = model(x)
        loss = F.mse_loss(v, r) + F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def mmoe_step():
    """MMoE: 62 inputs, 4 experts 62-128-64 (ReLU), a softmax gate per task, 3 towers 64-32-1, BCE each, Adam, batch 256."""

    class MMoE(nn.Module):
        def __init__(self, d=62, experts=4, hidden=(128, 64), tasks=3, tower=32):
            super().__init__()
            self.experts = nn.ModuleList(
                nn.Sequential(nn.Linear(d, hidden[0]), nn.ReLU(), nn.Linear(hidden[0], hidden[1]), nn.ReLU()) for _ in range(experts)
            )
            self.gates = nn.ModuleList(nn.Linear(d, experts) for _ in range(tasks))
            self.towers = nn.ModuleList(nn.Sequential(nn.Linear(hidden[1], tower), nn.ReLU(), nn.Linear(tower, 1)) for _ in range(tasks))

        def forward(self, x):
            outs = torch.stack([e(x) for e in self.experts], 1)  # [B, E, D]
            res = []
            for gate, tower in zip(self.gates, self.towers):
                w = torch.softmax(gate(x), -1)
                res.append(tower((outs * w.unsqueeze(2)).sum(1)).squeeze(1))
            return res

    g = torch.Generator().manual_seed(0)
    model = MMoE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(256, 62, generator=g)
    ys = [torch.randint(0, 2, (256,), generator=g).float() for _ in range(3)]

    def step():
        outs = model(x)
        loss = sum(F.binary_cross_entropy_with_logits(o, y) for o, y in zip(outs, ys))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


CASES = {"mlp": mlp_step, "mmoe": mmoe_step}


def set_blas_threads(n):
    """torch.set_num_threads sizes PyTorch's OpenMP pool, but a PyTorch built against a
    generic BLAS (Debian's: BLAS_INFO=generic, on OpenBLAS's pthread build) leaves the
    BLAS pool at OPENBLAS_NUM_THREADS: its "1 thread" products then ran on 2 cores. So
    the OpenBLAS loaded in this process is sized too. Returns the libraries set."""
    done = []
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line and ".so" in line})
    for path in paths:
        try:
            ctypes.CDLL(path).openblas_set_num_threads(n)
            done.append(path.rsplit("/", 1)[-1])
        except (OSError, AttributeError):
            pass
    return done


def set_threads(n):
    torch.set_num_threads(int(n))
    blas = set_blas_threads(int(n))
    return f"{torch.get_num_threads()} {','.join(blas) or '-'}"


if __name__ == "__main__":
    serve("torch", torch, lambda case: CASES[case](), {"threads": set_threads})
