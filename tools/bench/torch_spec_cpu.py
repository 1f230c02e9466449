#!/usr/bin/env python3
"""PyTorch's training step for any alexc spec on the CPU, for tools/bench/cpu_vs_peers.

Usage: torch_spec_cpu.py SPEC BATCH MODE STEPS
The network is the spec's, built layer by layer as the PyTorch comparison
tests build it (tests/reference/torch_compare.py: same layers, names and
graph; dropout left out); SGD with the spec's learning rate. MODE: eager
(NCHW), channels_last (eager, NHWC), compile (torch.compile of the whole
training step, default mode). Prints JSON: the median training step and
forward-only (evaluation) step in ms after two warm-up steps, on 2 threads.
"""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
from torch_compare import SpecNet  # noqa: E402

spec_path, batch, mode, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
spec = json.load(open(spec_path))
torch.set_num_threads(2)
torch.manual_seed(0)
model = SpecNet(spec)
shape = (batch, spec["input"]["channels"], spec["input"]["height"], spec["input"]["width"])
x = torch.rand(shape)
y = torch.randint(0, 10, (batch,))
if mode == "channels_last":
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)
opt = torch.optim.SGD(model.parameters(), lr=spec.get("optimizer", {}).get("learning_rate", 0.01))


def train():
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


def forward():
    with torch.no_grad():
        return model(x)  # returned, so that torch.compile keeps it


if mode == "compile":
    train = torch.compile(train)
    forward = torch.compile(forward)

out = {"torch": torch.__version__}
for name, fn in (("train_ms", train), ("eval_ms", forward)):
    model.train(name == "train_ms")
    for _ in range(2):
        fn()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    out[name] = statistics.median(times)
print(json.dumps(out))
