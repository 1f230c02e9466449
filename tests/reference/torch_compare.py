#!/usr/bin/python3
"""Compares alexc's training step with PyTorch's on the CPU.

For a model spec, builds the same network in PyTorch (dropout disabled),
draws weights, images and labels, and runs alexc's compiled training step in
the reference interpreter (alexc-reference-step, float32). Checks that the
loss and every parameter's gradient agree, and the parameters after one
SGD-momentum step and one Adam step (from the same gradients), to 1e-4
relative (errors are measured as max |ours - torch| / max |torch| over each
tensor).

Run with Debian's python3 (/usr/bin/python3), which has python3-torch.
"""
import argparse
import copy
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import torch

TOLERANCE = 1e-4


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    dtypes = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64"}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-(len(text) + 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": torch.float32, "I32": torch.int32}[info["dtype"]]
        begin, end = info["data_offsets"]
        buf = bytearray(data[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(info["shape"]).clone()
    return out


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


class SpecNet(torch.nn.Module):
    """The spec's network, with parameters named like alexc's ("conv1.weight").

    A graph: each layer reads the layers named in its "inputs" ("data" is the
    network's input; the default is the previous layer) and the last layer
    is the output."""

    ACTS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}

    def __init__(self, spec):
        super().__init__()
        # (module name or None, function of (module, inputs), input indices,
        # activation). The functions look their module up when they run,
        # so that copy.deepcopy gives a network that computes with its own
        # parameters.
        self.nodes = []
        shape = (1, spec["input"]["channels"], spec["input"]["height"], spec["input"]["width"])
        probes = {-1: torch.zeros(shape)}
        counts, index = {}, {}
        for i, layer in enumerate(spec["layers"]):
            kind = layer["type"]
            name = layer.get("name", f"{kind}_{counts.get(kind, 0)}")
            counts[kind] = counts.get(kind, 0) + 1
            index[name] = i
            inputs = [-1 if n == "data" else index[n] for n in layer.get("inputs", [])] or [i - 1]
            probe = probes[inputs[0]]
            m, fn = None, None
            if kind == "conv2d":
                m = torch.nn.Conv2d(probe.shape[1], layer["channels"], pair(layer["kernel_size"]),
                                    pair(layer.get("strides", 1)), pair(layer.get("padding", 0)),
                                    bias=layer.get("use_bias", True))
            elif kind in ("max_pool2d", "avg_pool2d"):
                k = pair(layer["pool_size"])
                s = pair(layer.get("strides", layer["pool_size"]))
                p = pair(layer.get("padding", 0))
                m = (torch.nn.MaxPool2d(k, s, p) if kind == "max_pool2d"
                     else torch.nn.AvgPool2d(k, s, p, count_include_pad=True))
            elif kind == "batch_norm":
                # Gluon's momentum m is PyTorch's 1 - m.
                assert layer.get("center", True) == layer.get("scale", True), "torch has one 'affine'"
                bn = torch.nn.BatchNorm2d if probe.dim() == 4 else torch.nn.BatchNorm1d
                m = bn(probe.shape[1], eps=layer.get("epsilon", 1e-5),
                       momentum=1 - layer.get("momentum", 0.9), affine=layer.get("scale", True))
            elif kind == "global_avg_pool2d":
                m = torch.nn.AdaptiveAvgPool2d(1)
            elif kind == "dense":
                # Gluon's Dense flattens a 4-D input.
                m = torch.nn.Linear(probe[0].numel(), layer["units"], bias=layer.get("use_bias", True))
                fn = lambda mod, xs: mod(torch.flatten(xs[0], 1))
            elif kind == "flatten":
                fn = lambda mod, xs: torch.flatten(xs[0], 1)
            elif kind in self.ACTS:
                fn = (lambda a: lambda mod, xs: a(xs[0]))(self.ACTS[kind])
            elif kind == "dropout":
                fn = lambda mod, xs: xs[0]  # compared with dropout disabled
            elif kind == "add":
                fn = lambda mod, xs: sum(xs[1:], xs[0])
            elif kind == "concat":
                fn = lambda mod, xs: torch.cat(xs, 1)
            else:
                raise ValueError(kind)
            if m is not None:
                self.add_module(name, m)
            if fn is None:
                fn = lambda mod, xs: mod(xs[0])
            act = self.ACTS.get(layer.get("activation") or "")
            self.nodes.append((name if m is not None else None, fn, inputs, act))
            with torch.no_grad():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.eval()  # the probe must not move the running statistics
                probes[i] = self.run_node(i, probes)
                if m is not None:
                    m.train()

    def run_node(self, i, values):
        name, fn, inputs, act = self.nodes[i]
        y = fn(self._modules[name] if name else None, [values[j] for j in inputs])
        return act(y) if act is not None else y

    def forward(self, x):
        values = {-1: x}
        for i in range(len(self.nodes)):
            values[i] = self.run_node(i, values)
        return values[len(self.nodes) - 1]


def rel_error(ours, ref, floor=0.0):
    scale = max(ref.abs().max().item(), floor)
    err = (ours - ref).abs().max().item()
    return err / scale if scale > 0 else err


def run_ours(tool, spec, batch, inputs, workdir, tag, skip_gradients, double=False):
    spec_path = os.path.join(workdir, f"{tag}.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    in_path = os.path.join(workdir, "in.safetensors")
    out_path = os.path.join(workdir, f"{tag}.out.safetensors")
    write_safetensors(in_path, inputs)
    cmd = [tool, spec_path, in_path, out_path, f"--batch-size={batch}", "--disable-dropout"]
    if skip_gradients:
        cmd.append("--skip-gradients")
    if double:
        cmd.append("--double")
    subprocess.run(cmd, check=True)
    return read_safetensors(out_path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--tool", required=True, help="path to alexc-reference-step")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--double", action="store_true",
                    help="both sides compute in double from the same float32 inputs: deep networks "
                         "with batch norm at small batches amplify float32 rounding past the tolerance")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    with open(args.spec) as f:
        spec = json.load(f)
    model = SpecNet(spec)
    c, h, w = spec["input"]["channels"], spec["input"]["height"], spec["input"]["width"]
    images = torch.rand(args.batch, c, h, w)
    labels = torch.randint(0, 10, (args.batch,), dtype=torch.int32)
    if args.batch > 2:
        labels[-1] = -1  # a padding row: ignored by both losses
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}
    inputs = dict(params, images=images, labels=labels)
    if args.double:
        model, images = model.double(), images.double()

    # Gradients.
    start = time.time()
    model.zero_grad()
    logits = model(images)
    loss = torch.nn.functional.cross_entropy(logits, labels.long(), ignore_index=-1)
    loss.backward()
    torch_grads = {k: p.grad.detach().clone() for k, p in model.named_parameters()}

    failures = []
    worst = {}

    # A gradient that vanishes in exact arithmetic (a bias right before batch
    # norm) is float32 noise on both sides: it is measured against 1% of
    # the largest gradient of the network instead of its own scale.
    grad_floor = 1e-2 * max(g.abs().max().item() for g in torch_grads.values())

    def check(what, ours, ref):
        e = rel_error(ours, ref, grad_floor if what.startswith("gradient") else 0.0)
        kind = what.split(" ")[0]
        worst[kind] = max(worst.get(kind, 0.0), e)
        if not e < TOLERANCE:
            failures.append(f"{what}: relative error {e:.3g}")

    optimizers = [
        ("sgd", {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                 "weight_decay": 1e-3, "nesterov": True},
         lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True)),
        ("adam", {"type": "adam", "learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.99,
                  "epsilon": 1e-8, "weight_decay": 1e-3},
         lambda ps: torch.optim.Adam(ps, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=1e-3)),
    ]
    with tempfile.TemporaryDirectory() as workdir:
        for i, (tag, opt_spec, make_opt) in enumerate(optimizers):
            s = copy.deepcopy(spec)
            s["optimizer"] = opt_spec
            ours = run_ours(args.tool, s, args.batch, inputs, workdir, tag, skip_gradients=i > 0,
                            double=args.double)
            if i == 0:
                ours_loss = ours["loss"].item()
                check("loss", ours["loss"].reshape(()), loss.detach())
                correct = (logits.argmax(1) == labels.long()).sum().item()
                if int(ours["correct"].item()) != correct:
                    failures.append(f"correct: ours {int(ours['correct'].item())}, torch {correct}")
                for k, g in torch_grads.items():
                    check(f"gradient {k}", ours[k + ".grad"], g)
                ours_grads = {k: ours[k + ".grad"] for k in torch_grads}
            # The update is checked on our own gradients (already compared
            # above): Adam's first step, lr * g / (|g| + eps), turns the
            # float32 noise of gradients near zero into visible differences
            # that say nothing about the optimizer.
            ref = copy.deepcopy(model)
            for (k, p) in ref.named_parameters():
                p.grad = ours_grads[k].clone().to(p.dtype)
            make_opt(ref.parameters()).step()
            # Parameters after the update, and batch norm's running
            # statistics after the step's forward pass.
            for k, v in ref.state_dict().items():
                if v.dtype.is_floating_point:
                    check(f"{tag}-step {k}", ours[k + ".updated"], v)
    elapsed = time.time() - start

    print(f"{spec['name']} at batch {args.batch}: loss ours {ours_loss:.6f}, torch "
          f"{loss.item():.6f}; largest relative errors: " +
          ", ".join(f"{k} {v:.2e}" for k, v in sorted(worst.items())) +
          f"; {elapsed:.1f} s")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
