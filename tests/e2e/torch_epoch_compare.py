#!/usr/bin/python3
"""One epoch of a model in alexc and in PyTorch, trained the same way.

Builds SPEC with alexc, draws initial weights in PyTorch and passes them with
--init, trains one epoch on the first N training images of Fashion-MNIST
(--limit-train N --no-shuffle --disable-dropout, the spec's batch size and
learning rate, SGD), and trains the same network from the same weights in
PyTorch on the same batches (images scaled to [0, 1], resized with
F.interpolate(bilinear, align_corners=False), the last batch partial: alexc
pads it to the compiled batch and leaves the padding out of the loss and
batch norm). Both are then evaluated on the whole test set; their test
accuracies must agree within --tolerance (default 0.02). Heavy: not run by
the tests (a few minutes per model on 2 cores).

usage: torch_epoch_compare.py --spec models/resnet18.json --alexc build/bin/alexc [--images 6000]
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from torch_compare import SpecNet, write_safetensors  # noqa: E402
from torch_train_compare import load_idx  # noqa: E402


def resized(images, size):
    if tuple(images.shape[2:]) == size:
        return images
    return torch.nn.functional.interpolate(images, size=size, mode="bilinear", align_corners=False)


def train_torch(model, spec, args):
    """One epoch of SGD on the first args.images images, then the test set:
    (mean training loss, test accuracy)."""
    batch = spec.get("batch_size", 128)
    lr = spec.get("optimizer", {}).get("learning_rate", 0.01)
    size = (spec["input"]["height"], spec["input"]["width"])
    images, labels = load_idx(args.data, "train", args.images)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    model.train()
    loss_sum = 0.0
    for b in range(0, args.images, batch):
        x, y = resized(images[b:b + batch], size), labels[b:b + batch]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * min(batch, args.images - b)
    model.eval()
    test_images, test_labels = load_idx(args.data, "t10k", 10000)
    correct = 0
    with torch.no_grad():
        for b in range(0, 10000, batch):
            correct += (model(resized(test_images[b:b + batch], size)).argmax(1)
                        == test_labels[b:b + batch]).sum().item()
    return loss_sum / args.images, correct / 10000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--alexc", required=True)
    ap.add_argument("--images", type=int, default=6000)
    ap.add_argument("--tolerance", type=float, default=0.02)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--perturb", type=float, default=0.0,
                    help="also train PyTorch from the weights times 1 + PERTURB (e.g. 1e-6)")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    spec = json.load(open(args.spec))
    batch = spec.get("batch_size", 128)
    model = SpecNet(spec)

    with tempfile.TemporaryDirectory() as work:
        exe = os.path.join(work, "train")
        subprocess.run([args.alexc, args.spec, "-o", exe, "--target", "cpu"], check=True)
        init = os.path.join(work, "init.safetensors")
        write_safetensors(init, {k: v for k, v in model.state_dict().items()})
        log = os.path.join(work, "log.jsonl")
        subprocess.run([exe, "--data", args.data, "--init", init, "--no-shuffle", "--disable-dropout",
                        "--limit-train", str(args.images), "--epochs", "1", "--log", log, "--quiet"],
                       check=True)
        epochs = [json.loads(line) for line in open(log) if '"epoch"' in line]
        ours, our_loss = epochs[-1]["test_acc"], epochs[-1]["train_loss"]

    initial = copy.deepcopy(model.state_dict())
    their_loss, theirs = train_torch(model, spec, args)
    print(f"{spec['name']}: one epoch on the first {args.images} images at batch {batch}: "
          f"training loss ours {our_loss:.4f}, torch {their_loss:.4f}; "
          f"test accuracy ours {ours:.4f}, torch {theirs:.4f}, difference {abs(ours - theirs):.4f}")
    if args.perturb:
        # The same PyTorch run from weights moved by a relative `perturb`:
        # how far two trajectories part that differ only in rounding.
        model.load_state_dict({k: v * (1 + args.perturb) if v.is_floating_point() else v
                               for k, v in initial.items()})
        p_loss, p_acc = train_torch(model, spec, args)
        print(f"PyTorch from weights scaled by 1 + {args.perturb:g}: training loss {p_loss:.4f}, "
              f"test accuracy {p_acc:.4f}, {abs(p_acc - theirs):.4f} from the unscaled run")
    if not abs(ours - theirs) <= args.tolerance:
        print("FAILED")
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
