"""LeNet-5 training throughput in PyTorch (images/s, batch 64 by default), the reference for bench/lenet.ts.

The same network as reti's `lenet5()`: conv 5x5x6 "same" + ReLU, max-pool 2, conv 5x5x16 + ReLU, max-pool 2,
dense 120, 84, 10; Adam(1e-3), cross-entropy, random inputs. Prints one JSON line per thread count.
Usage: lenet_torch.py [seconds] [batch], or lenet_torch.py --serve [batch]: one thread, the model built once,
then one JSON line per line "seconds" read on stdin (bench/torch.ts interleaves these rounds with its own). Run with OPENBLAS_NUM_THREADS=1 (Debian's OpenBLAS oversubscribes the cores otherwise).
"""
import json
import sys

import torch
from torch import nn
from torch_timing import reference_name, time_steps, warm_up


def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def trainer(threads: int, batch: int):
    """A function that measures training for about `seconds` and returns the result as a dict."""
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

    warm_up(step)
    params = sum(p.numel() for p in model.parameters())
    name = reference_name(torch.__version__, threads)

    def measure(seconds: float) -> dict:
        steps, elapsed, cpu = time_steps(step, seconds, 2)
        return {"backend": name, "impl": name, "imagesPerSecond": steps * batch / elapsed, "msPerStep": 1000 * elapsed / steps,
                "cpuMsPerStep": 1000 * cpu / steps, "params": params}

    return measure


def images_per_second(threads: int, seconds: float, batch: int = 64) -> dict:
    return trainer(threads, batch)(seconds)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--serve":
    measure = trainer(1, int(sys.argv[2]) if len(sys.argv) > 2 else 64)
    for line in sys.stdin:
        print(json.dumps(measure(float(line))), flush=True)
elif __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    for threads in (1, 2):
        print(json.dumps(images_per_second(threads, seconds, batch)), flush=True)
