"""Recurrent training step time in PyTorch, the reference for bench/rnn.ts.

The same model as the TypeScript side: a sequence [batch, steps, features] -> one recurrent layer (LSTM, GRU or
tanh RNN) -> the last state -> Linear(units, 1); MSE loss, Adam(1e-3), random inputs. Prints one JSON line per
(kind, threads) with wall and CPU milliseconds per training step.
Usage: rnn_torch.py seconds batch steps features units kinds(comma-separated) threads(comma-separated), or
rnn_torch.py --serve batch steps features units kinds: one thread, the models built once, then for every line
"seconds" read on stdin one JSON line per kind (bench/torch.ts interleaves these rounds with its own).
Run with OPENBLAS_NUM_THREADS=1 (Debian's OpenBLAS oversubscribes the cores otherwise).
"""
import json
import sys

import torch
from torch import nn
from torch_timing import reference_name, time_steps, warm_up


class Model(nn.Module):
    def __init__(self, kind: str, features: int, units: int):
        super().__init__()
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "simpleRNN": nn.RNN}[kind]
        self.rnn = cls(features, units, batch_first=True)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def trainer(kind: str, threads: int, batch: int, steps: int, features: int, units: int):
    """A function that measures training for about `seconds` and returns the result as a dict."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Model(kind, features, units)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, steps, features)
    y = torch.randn(batch, 1)

    def step() -> None:
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()

    warm_up(step)
    name = reference_name(torch.__version__, threads)

    def measure(seconds: float) -> dict:
        n, wall, cpu = time_steps(step, seconds, 3)
        return {"kind": kind, "impl": name,
                "msPerStep": 1000 * wall / n, "cpuMsPerStep": 1000 * cpu / n}

    return measure


def measure(kind: str, threads: int, seconds: float, batch: int, steps: int, features: int, units: int) -> dict:
    return trainer(kind, threads, batch, steps, features, units)(seconds)


if __name__ == "__main__" and sys.argv[1] == "--serve":
    batch, steps, features, units = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    trainers = [trainer(kind, 1, batch, steps, features, units) for kind in sys.argv[6].split(",")]
    for line in sys.stdin:
        for run in trainers:
            print(json.dumps(run(float(line))), flush=True)
elif __name__ == "__main__":
    seconds, batch, steps, features, units = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    kinds = sys.argv[6].split(",")
    threads = [int(t) for t in sys.argv[7].split(",")]
    for kind in kinds:
        for t in threads:
            print(json.dumps(measure(kind, t, seconds, batch, steps, features, units)), flush=True)
