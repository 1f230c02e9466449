"""The timing harness of the PyTorch peers in tools/bench/cpu_vs_peers.

time_steps(model, x, y, lr, mode, steps) runs SGD training steps and
forward-only (evaluation) steps of `model` on the batch (x, y), in MODE
eager (NCHW), channels_last (eager, NHWC) or compile (torch.compile of the
whole step, default mode), and returns the median of each in ms after two
warm-up calls (which include torch.compile's compilation), on 2 threads.
"""
import statistics
import time

import torch


def time_steps(model, x, y, lr, mode, steps):
    torch.set_num_threads(2)
    if mode == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=lr)

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
    return out
