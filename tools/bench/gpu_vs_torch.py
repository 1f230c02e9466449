#!/usr/bin/env python3
"""The AlexNet training step in PyTorch on the GPU, for tools/gpu_check.sh.

Same network as models/alexnet.json (the d2l reference's AlexNet, 1x224x224 input,
10 classes), batch 128, SGD lr 0.01, random data already on the GPU, cuDNN
with TF32 (PyTorch's default for convolutions; enabled for matrix products
too, as alexc's default --precision tf32 does). Times eager mode and
torch.compile: median of the step time after warm-up, with
torch.cuda.synchronize around each step. Prints one JSON object.

With --profile FILE, also writes the eager step's per-kernel GPU times
(torch.profiler, 5 steps) to FILE, to set beside alexc's --profile table.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn


def alexnet():
    return nn.Sequential(
        nn.Conv2d(1, 96, 11, 4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 10))


def time_steps(step, warmup, steps):
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def write_profile(step, path):
    """The GPU kernels of a few steps, by total GPU time (per step)."""
    from torch.profiler import ProfilerActivity, profile
    steps = 5
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    events = prof.key_averages()
    for key in ("device_time_total", "cuda_time_total"):
        try:
            table = events.table(sort_by=key, row_limit=40)
            break
        except Exception:  # the sort key's name differs between versions
            table = None
    with open(path, "w") as f:
        f.write(f"PyTorch eager, {steps} training steps (divide totals by {steps})\n")
        f.write(table or str(events))


def main():
    profile_path = None
    if len(sys.argv) == 3 and sys.argv[1] == "--profile":
        profile_path = sys.argv[2]
    elif len(sys.argv) != 1:
        print("usage: gpu_vs_torch.py [--profile FILE]", file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = True
    dev = torch.device("cuda")
    x = torch.rand(128, 1, 224, 224, device=dev)
    y = torch.randint(0, 10, (128,), device=dev)
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    for mode in ["eager", "compile"]:
        model = alexnet().to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        net = model if mode == "eager" else torch.compile(model)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
        try:
            results[mode + "_ms"] = time_steps(step, 15 if mode == "compile" else 10, 50)
        except Exception as e:  # torch.compile may be unavailable
            results[mode + "_error"] = str(e).splitlines()[0][:200]
        if mode == "eager" and profile_path:
            try:
                write_profile(step, profile_path)
            except Exception as e:
                results["profile_error"] = str(e).splitlines()[0][:200]
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
