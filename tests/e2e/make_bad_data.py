#!/usr/bin/env python3
"""Writes Fashion-MNIST folders with one defect each, for the error tests.

Usage: make_bad_data.py SOURCE_DIR OUT_DIR
Creates OUT_DIR/{bad-magic,truncated,bad-label,missing}, each a copy of the
first 1000 test and training examples with one file broken.
"""
import gzip
import os
import shutil
import struct
import sys

src, out = sys.argv[1], sys.argv[2]
names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def read(name):
    with gzip.open(os.path.join(src, name), "rb") as f:
        return f.read()


def small(data, header, item):
    (magic, count) = struct.unpack(">II", data[:8])
    n = min(count, 1000)
    return data[:4] + struct.pack(">I", n) + data[8:header] + data[header:header + n * item]


files = {}
for name in names:
    data = read(name)
    if "images" in name:
        files[name] = small(data, 16, 28 * 28)
    else:
        files[name] = small(data, 8, 1)


def write(folder, overrides, raw=None):
    d = os.path.join(out, folder)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        if name in (overrides or {}):
            data = overrides[name]
            if data is None:
                continue
        with gzip.open(os.path.join(d, name), "wb") as f:
            f.write(data)
    for name, data in (raw or {}).items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


write("good", {})
labels = files["t10k-labels-idx1-ubyte.gz"]
write("bad-magic", {"t10k-images-idx3-ubyte.gz": b"\x00\x00\x08\x01" + files["t10k-images-idx3-ubyte.gz"][4:]})
write("bad-label", {"t10k-labels-idx1-ubyte.gz": labels[:8 + 5] + b"\x0c" + labels[8 + 6:]})
write("missing", {"t10k-labels-idx1-ubyte.gz": None})
compressed = gzip.compress(files["t10k-images-idx3-ubyte.gz"])
write("truncated", {}, raw={"t10k-images-idx3-ubyte.gz": compressed[: len(compressed) // 2]})
short = files["t10k-images-idx3-ubyte.gz"]
write("short-images", {"t10k-images-idx3-ubyte.gz": short[: len(short) - 100]})
