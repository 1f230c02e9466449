#!/usr/bin/env python3
"""Compares two safetensors checkpoints tensor by tensor: the relative
difference |a - b| / |a| (2-norms over the tensor) must be at most TOL for
every tensor. Prints the worst tensor; exits 1 when one differs more, is
missing, or has another shape. With --whole, the 2-norms are taken over
all tensors together instead (for nets whose small tensors, such as
AlexNet's early biases after a few steps, are sums that cancel, and differ
by percents between thread counts of one process).
usage: compare_checkpoints.py A B TOL [--whole]"""
import json
import struct
import sys

import numpy as np


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64, "I32": np.int32}[info["dtype"]]
        tensors[name] = np.frombuffer(data[b:e], dtype=dtype).reshape(info["shape"])
    return tensors


def main():
    a, b, tol = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3])
    whole = "--whole" in sys.argv[4:]
    if sorted(a) != sorted(b):
        print("different tensors:", sorted(set(a) ^ set(b)))
        return 1
    worst, worst_name = 0.0, ""
    diff2 = norm2 = 0.0
    for name in a:
        if a[name].shape != b[name].shape:
            print(f"{name}: shapes {a[name].shape} and {b[name].shape}")
            return 1
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        d = np.linalg.norm(x - y) / max(np.linalg.norm(x), 1e-30)
        diff2 += float(np.sum((x - y) ** 2))
        norm2 += float(np.sum(x ** 2))
        if d > worst:
            worst, worst_name = d, name
    overall = (diff2 / max(norm2, 1e-60)) ** 0.5
    print(f"{len(a)} tensors; relative difference of all together {overall:.3g}, "
          f"largest of one {worst:.3g} ({worst_name or '-'})")
    return 0 if (overall if whole else worst) <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
