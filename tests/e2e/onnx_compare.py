"""An exported ONNX model in ONNX Runtime against alexc on the same images.

usage: onnx_compare.py MODEL.onnx IMAGES.idx LABELS.idx INFER.jsonl EVAL.out

IMAGES.idx holds the test images (uncompressed IDX); INFER.jsonl is the
inference executable's --json output on them (its logits); EVAL.out is the
training executable's --eval-only output on the same images. The images are
scaled and resized here as alexc does (pixels / 255, bilinear with
align_corners=False, PyTorch's rule), run through ONNX Runtime, and must
give the same top-1 classes and logits within 1e-4 of alexc's, and the
same accuracy as --eval-only.
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def read_idx(path):
    raw = open(path, "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def axis_plan(size_in, size_out):
    # alexc's planResize: src = (dst + 0.5) * in / out - 0.5, clamped at 0.
    scale = np.float32(size_in) / np.float32(size_out)
    src = np.maximum(scale * (np.arange(size_out, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5), 0)
    lo = src.astype(np.int64)
    hi = np.where(lo < size_in - 1, lo + 1, lo)
    return lo, hi, (src - lo).astype(np.float32)


def resize(images, rows, cols):
    x = images.astype(np.float32) / np.float32(255)
    if images.shape[1:] == (rows, cols):
        return x
    y0, y1, wy = axis_plan(images.shape[1], rows)
    x0, x1, wx = axis_plan(images.shape[2], cols)
    wy, wx = wy[None, :, None], wx[None, None, :]
    top = (1 - wx) * x[:, y0][:, :, x0] + wx * x[:, y0][:, :, x1]
    bottom = (1 - wx) * x[:, y1][:, :, x0] + wx * x[:, y1][:, :, x1]
    return ((1 - wy) * top + wy * bottom).astype(np.float32)


def main():
    model, images_path, labels_path, jsonl, eval_out = sys.argv[1:6]
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    _, channels, rows, cols = session.get_inputs()[0].shape
    images, labels = read_idx(images_path), read_idx(labels_path)
    batch = resize(images, rows, cols)[:, None].repeat(channels, axis=1)
    logits = session.run(["logits"], {"images": batch})[0]

    ref = np.array([json.loads(line)["logits"] for line in open(jsonl)], dtype=np.float64)
    assert ref.shape == logits.shape, f"{ref.shape} logits from alexc, {logits.shape} from ONNX Runtime"
    diff = np.abs(logits - ref)
    worst = np.unravel_index(diff.argmax(), diff.shape)
    print(f"{model}: {len(ref)} images, ONNX Runtime {ort.__version__}: largest logit difference "
          f"{diff.max():.2e} (image {worst[0]}, class {worst[1]}; logits up to {np.abs(ref).max():.2f})")
    ours, theirs = ref.argmax(1), logits.argmax(1)
    print(f"  top-1 classes equal: {(ours == theirs).sum()}/{len(ref)}")
    assert (ours == theirs).all(), f"top-1 differs on images {np.nonzero(ours != theirs)[0][:10]}"
    assert diff.max() <= 1e-4, "logits differ by more than 1e-4"

    right = int((theirs == labels).sum())
    eval_acc = open(eval_out).read().split("Test acc :")[1].split()[0].rstrip(",")
    print(f"  accuracy: ONNX Runtime {right}/{len(labels)} = {right / len(labels):.6f}, --eval-only {eval_acc}")
    # --eval-only prints 6 decimals.
    assert f"{right / len(labels):.6f}" == eval_acc, "ONNX Runtime's accuracy differs from --eval-only's"


if __name__ == "__main__":
    main()
