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
import sys

import torch

here = os.path.dirname(__file__)
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "reference"))
from torch_compare import SpecNet  # noqa: E402
from torch_step_timing import time_steps  # noqa: E402

spec_path, batch, mode, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
spec = json.load(open(spec_path))
torch.manual_seed(0)
model = SpecNet(spec)
shape = (batch, spec["input"]["channels"], spec["input"]["height"], spec["input"]["width"])
x = torch.rand(shape)
y = torch.randint(0, 10, (batch,))
lr = spec.get("optimizer", {}).get("learning_rate", 0.01)
print(json.dumps(time_steps(model, x, y, lr, mode, steps)))
