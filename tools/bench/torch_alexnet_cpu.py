#!/usr/bin/env python3
"""PyTorch's AlexNet training step on the CPU, for tools/bench/cpu_vs_peers.

Usage: torch_alexnet_cpu.py BATCH MODE STEPS
MODE: eager (NCHW), channels_last (eager, NHWC), compile (torch.compile of
the whole training step, default mode). The network, loss and SGD lr 0.01
match models/alexnet.json; dropout is on. Prints JSON: the median training
step and forward-only (evaluation) step in ms after two warm-up steps
(which include torch.compile's compilation), on 2 threads.
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from torch_step_timing import time_steps  # noqa: E402

batch, mode, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 96, 11, 4), nn.ReLU(), nn.MaxPool2d(3, 2),
    nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
    nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
    nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
    nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
    nn.Flatten(), nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(0.5),
    nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 10))
x = torch.rand(batch, 1, 224, 224)
y = torch.randint(0, 10, (batch,))
print(json.dumps(time_steps(model, x, y, 0.01, mode, steps)))
