#!/usr/bin/python3
"""alexc's image pipeline against torchvision on an image folder made here.

Makes a small ImageFolder set with PIL (JPEG, PNG with alpha, palette and
gray, PPM, PGM, upper-case suffixes, a nested folder, class names whose
order depends on case), compiles three one-layer models and runs a few
steps with --dump-batches, then checks:
  1. no transforms: every dumped batch equals torchvision's
     ImageFolder + ToTensor + Normalize on the same files (exactly for the
     decoded pixels), labels and class order included; a 1-channel model
     gets PIL's convert("L");
  2. transforms on: replaying each example's recorded decisions (crop
     boxes, flips, jitter order and factors) with
     torchvision.transforms.functional gives alexc's batch within 1e-6;
  3. the decisions follow the distributions torchvision samples from
     (flip rate, crop offsets, jitter factors and order), and do not
     depend on the thread count.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision import datasets, transforms

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from torch_compare import read_safetensors  # noqa: E402

MEAN, STD = [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]
H, W = 12, 10  # the stored images


def read_dump(path):
    """--dump-batches' tensors, as numpy arrays."""
    return {k: v.numpy() for k, v in read_safetensors(path).items()}


def make_folder(root, per_class, rng, mixed=False):
    """Class folders 'Dog', 'bird', 'cat' (sorted by code point: Dog first)."""
    kinds = ["jpg", "JPEG", "png-rgba", "png-gray", "png-palette", "ppm", "pgm", "jpg-gray"]
    for split, n in (("train", per_class), ("test", max(4, per_class // 8))):
        for c, name in enumerate(["cat", "Dog", "bird"]):
            folder = os.path.join(root, split, name)
            os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
            for i in range(n):
                h, w = (int(rng.integers(6, 20)), int(rng.integers(6, 20))) if mixed else (H, W)
                base = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
                base[:, :, c] = np.clip(base[:, :, c].astype(int) + 60, 0, 255)  # learnable
                kind = kinds[i % len(kinds)]
                sub = "sub/" if i % 5 == 4 else ""
                path = os.path.join(folder, f"{sub}img{i:04d}")
                img = Image.fromarray(base, "RGB")
                if kind in ("jpg", "JPEG"):
                    img.save(f"{path}.{kind}", quality=90)
                elif kind == "jpg-gray":
                    img.convert("L").save(f"{path}.jpg", quality=85)
                elif kind == "png-rgba":
                    a = Image.fromarray(rng.integers(0, 256, size=(h, w), dtype=np.uint8), "L")
                    img.putalpha(a)
                    img.save(f"{path}.PNG")
                elif kind == "png-gray":
                    img.convert("L").save(f"{path}.png")
                elif kind == "png-palette":
                    img.quantize(16).save(f"{path}.png")
                elif kind == "ppm":
                    img.save(f"{path}.ppm")
                else:
                    img.convert("L").save(f"{path}.pgm")
            with open(os.path.join(folder, "notes.txt"), "w") as f:
                f.write("not an image; skipped as torchvision skips it\n")


def build(alexc, work, name, channels, size, train_list, batch, test_list=()):
    spec = {
        "name": name,
        "input": {"channels": channels, "height": size[0], "width": size[1]},
        "layers": [{"name": "fc", "type": "dense", "units": 3}],
        "optimizer": {"type": "sgd", "learning_rate": 0.01},
        "batch_size": batch, "epochs": 1,
        "data": {"dataset": "unused", "train": train_list, "test": list(test_list)},
    }
    path = os.path.join(work, f"{name}.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    exe = os.path.join(work, name)
    subprocess.run([alexc, path, "--target", "cpu", "-o", exe], check=True,
                   stdout=subprocess.DEVNULL)
    return exe


def run(exe, data, dump, steps, extra=()):
    r = subprocess.run([exe, "--data", data, "--steps", str(steps), "--dump-batches", dump,
                        "--limit-test", "1", *extra], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{exe} failed ({r.returncode}):\n{r.stderr}")
    return r.stderr


def check_plain(alexc, work, data, channels):
    name = f"plain{channels}"
    train = [{"type": "normalize", "mean": MEAN[:channels], "std": STD[:channels]}]
    exe = build(alexc, work, name, channels, (H, W), train, 16)
    dump = os.path.join(work, f"{name}.safetensors")
    log = run(exe, data, dump, 3, ["--no-shuffle"])
    mode = "RGB" if channels == 3 else "L"
    ref = datasets.ImageFolder(os.path.join(data, "train"), transform=transforms.Compose([
        transforms.ToTensor(), transforms.Normalize(MEAN[:channels], STD[:channels])]),
        loader=lambda p: Image.open(p).convert(mode))
    assert ", ".join(ref.classes) in log, f"class order: torchvision {ref.classes}, alexc said:\n{log}"
    got = read_dump(dump)
    worst = 0.0
    for step in range(3):
        idx = got[f"step{step}.indices"]
        want = torch.stack([ref[int(i)][0] for i in idx]).numpy()
        labels = np.array([ref[int(i)][1] for i in idx])
        assert (got[f"step{step}.labels"] == labels).all(), f"step {step}: labels differ"
        assert (idx == np.arange(step * 16, step * 16 + len(idx))).all(), "--no-shuffle order"
        worst = max(worst, float(np.abs(got[f"step{step}.images"] - want).max()))
        # Decoded pixels: identical, not merely close.
        pixels = np.rint((got[f"step{step}.images"] * np.array(STD[:channels])[:, None, None]
                          + np.array(MEAN[:channels])[:, None, None]) * 255)
        raw = torch.stack([transforms.PILToTensor()(Image.open(ref.samples[int(i)][0]).convert(mode))
                           for i in idx]).numpy()
        assert (pixels == raw).all(), f"step {step}: decoded pixels differ from PIL's"
    print(f"{channels}-channel, no transforms: 3 batches of 16, largest difference {worst:.2e}; "
          f"decoded pixels identical to PIL's; classes {ref.classes}")
    assert worst <= 1e-6, worst
    if channels == 3:
        check_inference(alexc, work, data, exe, name)


def check_inference(alexc, work, data, exe, name):
    """The inference executable names the folder's classes and agrees
    with --eval-only on every test image (the same test transforms)."""
    weights = os.path.join(work, f"{name}-weights.safetensors")
    subprocess.run([exe, "--data", data, "--epochs", "1", "--quiet", "--save", weights],
                   check=True, stdout=subprocess.DEVNULL)
    ev = subprocess.run([exe, "--data", data, "--eval-only", "--init", weights, "--quiet"],
                        check=True, capture_output=True, text=True).stdout
    acc = float(ev.split("Test acc :")[1])
    infer = os.path.join(work, f"{name}_infer")
    subprocess.run([alexc, os.path.join(work, f"{name}.json"), "--mode=inference", "--target", "cpu",
                    "-o", infer], check=True, stdout=subprocess.DEVNULL)
    test = datasets.ImageFolder(os.path.join(data, "test"))
    out = subprocess.run([infer, "--weights", weights, "--json", *[p for p, _ in test.samples]],
                         check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    names = [r["top"][0]["class"] for r in rows]
    right = sum(n == test.classes[k] for n, (_, k) in zip(names, test.samples))
    print(f"inference: {right}/{len(rows)} test images right, named by class folder; "
          f"--eval-only {acc:.4f}")
    assert set(names) <= set(test.classes), names
    assert abs(right / len(rows) - acc) < 1e-6, (right, acc)


TRANSFORMS = [
    {"type": "resize", "size": 16},
    {"type": "random_resized_crop", "size": 10, "scale": [0.3, 1.0], "ratio": [0.75, 1.3333333]},
    {"type": "random_crop", "size": 10, "padding": 2},
    {"type": "random_horizontal_flip"},
    {"type": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4},
    {"type": "center_crop", "size": 8},
    {"type": "normalize", "mean": MEAN, "std": STD},
]


def replay(img, decisions):
    """The recorded decisions through torchvision.transforms.functional."""
    bilinear = transforms.InterpolationMode.BILINEAR
    for t, d in zip(TRANSFORMS, decisions):
        kind = t["type"]
        top, left, h, w = (int(v) for v in d[:4])
        size = t.get("size")
        pair = list(size) if isinstance(size, list) else [size, size]
        if kind == "resize":
            img = TF.resize(img, [t["size"]], bilinear, antialias=True)
        elif kind == "random_resized_crop":
            img = TF.resized_crop(img, top, left, h, w, pair, bilinear, antialias=True)
        elif kind == "random_crop":
            img = TF.crop(TF.pad(img, t["padding"]), top, left, h, w)
        elif kind == "random_horizontal_flip":
            img = TF.hflip(img) if d[0] else img
        elif kind == "color_jitter":
            for which in (int(v) for v in d[:4]):
                f = float(d[4 + which]) if which < 3 else -1
                if f < 0:
                    continue
                img = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation][which](img, f)
        elif kind == "center_crop":
            img = TF.center_crop(img, pair)
        else:
            img = TF.normalize(img, t["mean"], t["std"])
    return img


def check_random(alexc, work, data):
    exe = build(alexc, work, "augmented", 3, (8, 8), TRANSFORMS, 64,
                [{"type": "center_crop", "size": 8}])
    dump = os.path.join(work, "augmented.safetensors")
    run(exe, data, dump, 18, ["--seed", "7", "--epochs", "3"])  # 6 steps each
    got = read_dump(dump)
    # The decisions depend on (seed, epoch, example) only: one thread gives
    # the same batches bit for bit.
    one = os.path.join(work, "one-thread.safetensors")
    run(exe, data, one, 2, ["--seed", "7", "--threads", "1"])
    again = read_dump(one)
    for k in again:
        assert (again[k] == got[k]).all(), f"{k} differs with --threads 1"
    ref = datasets.ImageFolder(os.path.join(data, "train"),
                               loader=lambda p: Image.open(p).convert("RGB"))
    # Normalize divides by std (0.24 here), so the float rounding of the
    # steps before it (2 ulp at 1.0) grows by up to 4x: differences are
    # compared at the scale before normalize (times std).
    std = np.array(STD)[:, None, None]
    worst, worst_rel, n = 0.0, 0.0, 0
    for step in range(2):
        for row, i in enumerate(got[f"step{step}.indices"]):
            img = transforms.ToTensor()(ref[int(i)][0])
            want = replay(img, got[f"step{step}.decisions"][row]).numpy()
            diff = np.abs(got[f"step{step}.images"][row] - want)
            worst = max(worst, float(diff.max()))
            worst_rel = max(worst_rel, float((diff * std).max()))
            n += 1
    print(f"transforms on: {n} examples replayed with torchvision.transforms.functional, "
          f"largest difference {worst:.2e} ({worst_rel:.2e} before normalize's division)")
    assert worst_rel <= 1e-6, worst_rel
    d = np.concatenate([got[f"step{s}.decisions"] for s in range(18)])
    check_statistics(d, len(d))


MIXED = [
    {"type": "random_resized_crop", "size": [8, 7]},
    {"type": "random_horizontal_flip", "p": 0.3},
    {"type": "normalize", "mean": MEAN, "std": STD},
]


def check_mixed(alexc, work, data):
    """Images of mixed sizes, kept each at its own: the crop sees each."""
    global TRANSFORMS
    exe = build(alexc, work, "mixed", 3, (8, 7), MIXED, 32,
                [{"type": "resize", "size": [9, 9]}, {"type": "center_crop", "size": [8, 7]}])
    dump = os.path.join(work, "mixed.safetensors")
    log = run(exe, data, dump, 4, ["--seed", "3"])
    assert "3 channels, mixed sizes" in log, log
    got = read_dump(dump)
    ref = datasets.ImageFolder(os.path.join(data, "train"),
                               loader=lambda p: Image.open(p).convert("RGB"))
    std = np.array(STD)[:, None, None]
    saved, TRANSFORMS = TRANSFORMS, MIXED
    worst = 0.0
    for step in range(4):
        for row, i in enumerate(got[f"step{step}.indices"]):
            want = replay(transforms.ToTensor()(ref[int(i)][0]), got[f"step{step}.decisions"][row])
            worst = max(worst, float((np.abs(got[f"step{step}.images"][row] - want.numpy()) * std).max()))
    TRANSFORMS = saved
    print(f"mixed sizes (6 to 19 pixels a side): 128 examples replayed, largest difference "
          f"{worst:.2e} before normalize's division")
    assert worst <= 1e-6, worst


def check_statistics(d, n):
    """Each decision against the distribution torchvision draws it from."""
    def chi2(counts):
        e = counts.sum() / len(counts)
        return float(((counts - e) ** 2 / e).sum())
    flips = d[:, 3, 0]
    sd = 0.5 / np.sqrt(n)
    assert abs(flips.mean() - 0.5) < 4 * sd, f"flip rate {flips.mean()}"
    # random_crop: top and left uniform on 0..4 (10 + 2 * 2 - 10).
    for k, what in ((0, "top"), (1, "left")):
        c = np.bincount(d[:, 2, k].astype(int), minlength=5)
        assert len(c) == 5 and chi2(c) < 18.5, f"crop {what} counts {c}"  # 4 dof, p = 0.001
    # color_jitter: factors uniform on [0.6, 1.4]; order a uniform permutation.
    for k in range(3):
        f = np.sort(d[:, 4, 4 + k])
        ks = np.abs(f - (0.6 + 0.8 * (np.arange(1, n + 1) - 0.5) / n)).max() / 0.8
        assert f.min() >= 0.6 and f.max() <= 1.4 and ks < 1.95 / np.sqrt(n), f"jitter {k}: KS {ks}"
    for pos in range(4):
        c = np.bincount(d[:, 4, pos].astype(int), minlength=4)
        assert chi2(c) < 16.3, f"jitter order position {pos}: {c}"  # 3 dof, p = 0.001
    # random_resized_crop boxes: inside the resized image (19 high, 16 wide),
    # area share within the scale range (up to rounding).
    box = d[:, 1, :4]
    assert (box[:, 0] + box[:, 2] <= 19).all() and (box[:, 1] + box[:, 3] <= 16).all()
    share = box[:, 2] * box[:, 3] / (16 * 19)
    assert share.min() > 0.2 and share.max() <= 1.0, (share.min(), share.max())
    print(f"decision statistics over {n} examples: flip rate {flips.mean():.3f}, "
          f"crop offsets and jitter factors uniform, jitter order uniform")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alexc", required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "images")
        make_folder(data, 128, rng)
        check_plain(args.alexc, work, data, 3)
        check_plain(args.alexc, work, data, 1)
        check_random(args.alexc, work, data)
        mixed = os.path.join(work, "mixed-images")
        make_folder(mixed, 48, rng, mixed=True)
        check_mixed(args.alexc, work, mixed)


if __name__ == "__main__":
    main()
