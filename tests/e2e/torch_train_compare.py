#!/usr/bin/python3
"""The compiled training executable against PyTorch on the real data.

Builds SPEC at a small batch with alexc, draws initial weights in PyTorch and
passes them with --init, trains N steps with --no-shuffle --disable-dropout
on the first training examples of Fashion-MNIST, and trains the same
network in PyTorch (CPU, the spec's optimizer, or --optimizer's in place of
it: SGD with momentum or Adam; images scaled to [0, 1] and resized with
F.interpolate(bilinear, align_corners=False)). The --init file is a plain
state_dict: parameters and running statistics, no optimizer state. The
losses of every step must agree to 1e-4 relative, and the weights and batch
norm's running statistics after the last step (from --save) to 1e-3
relative (each tensor's largest difference over its largest value).
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from torch_compare import SpecNet, read_safetensors, rel_error, write_safetensors  # noqa: E402


def load_idx(folder, prefix, count):
    with gzip.open(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz")) as f:
        data = f.read()
    rows, cols = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
    images = torch.frombuffer(bytearray(data[16:16 + count * rows * cols]), dtype=torch.uint8)
    with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        labels = torch.frombuffer(bytearray(f.read()[8:8 + count]), dtype=torch.uint8)
    return images.reshape(count, 1, rows, cols).float() / 255.0, labels.long()


def torch_optimizer(o, params):
    """PyTorch's optimizer for a spec's optimizer section; every field this
    test passes is given explicitly (no default is assumed on either side)."""
    if o["type"] == "adam":
        return torch.optim.Adam(params, lr=o["learning_rate"], betas=(o["beta1"], o["beta2"]),
                                eps=o["epsilon"], weight_decay=o.get("weight_decay", 0.0))
    assert o["type"] == "sgd", o
    return torch.optim.SGD(params, lr=o["learning_rate"], momentum=o.get("momentum", 0.0),
                           nesterov=o.get("nesterov", False),
                           weight_decay=o.get("weight_decay", 0.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--alexc", required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--limit-train", type=int, default=0,
                    help="train on the first N images: ceil(N / batch) steps, the last "
                         "one partial (alexc pads it; batch norm leaves the padding out)")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--optimizer", type=json.loads, default=None,
                    help="a spec 'optimizer' section (JSON) that replaces the spec's")
    args = ap.parse_args()
    images_used = args.batch * args.steps
    if args.limit_train:
        images_used = args.limit_train
        args.steps = -(-images_used // args.batch)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    spec = json.load(open(args.spec))
    model = SpecNet(spec)

    with tempfile.TemporaryDirectory() as work:
        if args.optimizer is not None:
            spec["optimizer"] = args.optimizer
            args.spec = os.path.join(work, "spec.json")
            json.dump(spec, open(args.spec, "w"))
        exe = os.path.join(work, "train")
        subprocess.run([args.alexc, args.spec, "-o", exe, "--target", "cpu",
                        f"--batch-size={args.batch}"], check=True)
        init = os.path.join(work, "init.safetensors")
        write_safetensors(init, {k: v for k, v in model.state_dict().items()})
        log = os.path.join(work, "log.jsonl")
        saved = os.path.join(work, "after.safetensors")
        subprocess.run([exe, "--data", args.data, "--init", init, "--no-shuffle", "--disable-dropout",
                        "--steps", str(args.steps), "--log", log, "--quiet", "--limit-test", "1",
                        "--save", saved, "--limit-train", str(images_used)], check=True)
        ours = [json.loads(line)["loss"] for line in open(log) if '"step"' in line]
        ours_tensors = read_safetensors(saved)

    images, labels = load_idx(args.data, "train", images_used)
    size = (spec["input"]["height"], spec["input"]["width"])
    if tuple(images.shape[2:]) != size:
        images = torch.nn.functional.interpolate(images, size=size, mode="bilinear", align_corners=False)
    opt = torch_optimizer(spec.get("optimizer", {}), model.parameters())
    theirs = []
    for s in range(args.steps):
        batch = slice(s * args.batch, (s + 1) * args.batch)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])
        loss.backward()
        opt.step()
        theirs.append(loss.item())

    worst = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs))
    print(f"{spec['name']} at batch {args.batch}, {args.steps} steps on the real data: "
          f"losses ours {ours}, torch {theirs}; largest relative difference {worst:.2e}")
    tensor_worst, worst_name = 0.0, ""
    for name, t in model.state_dict().items():
        if t.dtype != torch.float32:
            continue  # num_batches_tracked
        e = rel_error(ours_tensors[name], t)
        if e >= tensor_worst:
            tensor_worst, worst_name = e, name
    print(f"after step {args.steps}: largest relative difference of a weight or running "
          f"statistic {tensor_worst:.2e} ({worst_name})")
    if len(ours) != args.steps or not worst < 1e-4 or not tensor_worst < 1e-3:
        print("FAILED")
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
