"""LeNet-5 training throughput in PyTorch (images/s, batch 64 by default), the reference for bench/lenet.ts.

The same network as reti's `lenet5()`: conv 5x5x6 "same" + ReLU, max-pool 2, conv 5x5x16 + ReLU, max-pool 2,
dense 120, 84, 10; Adam(1e-3), cross-entropy, random inputs. Prints one JSON line per thread count.
Usage: lenet_torch.py [seconds] [batch]. Run with OPENBLAS_NUM_THREADS=1 (Debian's OpenBLAS oversubscribes the cores otherwise).
"""
import json
import sys
import time

import torch
from torch import nn


def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def images_per_second(threads: int, seconds: float, batch: int = 64) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = lenet5()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(5):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    elapsed = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    return {"backend": f"pytorch {torch.__version__} ({threads} thread{'s' if threads > 1 else ''})",
            "imagesPerSecond": steps * batch / elapsed, "msPerStep": 1000 * elapsed / steps, "params": params}


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    for threads in (1, 2):
        print(json.dumps(images_per_second(threads, seconds, batch)), flush=True)
