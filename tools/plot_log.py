#!/usr/bin/python3
"""Draws the curves of a training run from its --log file (JSON Lines).

Two panels, like the figures of the d2l chapters:
  - per epoch: training loss, training accuracy and test accuracy;
  - per step: the training loss of every step (and its moving average).
Several logs (one per run) are drawn over each other, named by their file.

usage: plot_log.py run.jsonl [more.jsonl ...] -o curves.svg
       (the format follows the suffix: .svg, .png or .pdf)
Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import json
import os
import sys


def read_log(path):
    """The step and epoch records of a log; exits with the line of a bad one."""
    steps, epochs = [], []
    try:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{number}: not a JSON object: {e.msg}")
                if record.get("type") == "step":
                    steps.append(record)
                elif record.get("type") == "epoch":
                    epochs.append(record)
    except OSError as e:
        sys.exit(f"{path}: cannot read: {e.strerror}")
    if not steps and not epochs:
        sys.exit(f"{path}: no step or epoch records (write one with --log FILE)")
    return steps, epochs


def moving_average(values, window):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+", help="JSON Lines written by --log")
    ap.add_argument("-o", "--output", required=True, help="the picture (.svg, .png, .pdf)")
    ap.add_argument("--window", type=int, default=50,
                    help="steps in the moving average of the step loss (default 50)")
    args = ap.parse_args()
    if os.path.splitext(args.output)[1].lower() not in (".svg", ".png", ".pdf"):
        sys.exit(f"{args.output}: the picture must end in .svg, .png or .pdf")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        sys.exit("matplotlib is missing: install python3-matplotlib")

    runs = [(os.path.basename(p), *read_log(p)) for p in args.logs]
    fig, (per_epoch, per_step) = plt.subplots(1, 2, figsize=(11, 4))
    for name, steps, epochs in runs:
        prefix = f"{name}: " if len(runs) > 1 else ""
        if epochs:
            x = [e["epoch"] + 1 for e in epochs]
            per_epoch.plot(x, [e["train_loss"] for e in epochs], "o-", label=prefix + "train loss")
            per_epoch.plot(x, [e["train_acc"] for e in epochs], "s--", label=prefix + "train acc")
            per_epoch.plot(x, [e["test_acc"] for e in epochs], "^-.", label=prefix + "test acc")
        if steps:
            x = [s["step"] for s in steps]
            loss = [s["loss"] for s in steps]
            per_step.plot(x, loss, linewidth=0.5, alpha=0.4, label=prefix + "loss")
            per_step.plot(x, moving_average(loss, args.window), linewidth=1.5,
                          label=prefix + f"mean of {args.window}")
    per_epoch.set_xlabel("epoch")
    per_epoch.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    per_epoch.set_title("per epoch")
    per_epoch.grid(True, alpha=0.3)
    per_step.set_xlabel("step")
    per_step.set_ylabel("training loss")
    per_step.set_title("per step")
    per_step.grid(True, alpha=0.3)
    for ax in (per_epoch, per_step):
        if ax.lines:
            ax.legend(fontsize="small")
    fig.tight_layout()
    try:
        fig.savefig(args.output)
    except OSError as e:
        sys.exit(f"{args.output}: cannot write: {e.strerror}")
    print(f"wrote {args.output}: {sum(len(s) for _, s, _ in runs)} steps, "
          f"{sum(len(e) for _, _, e in runs)} epochs")


if __name__ == "__main__":
    main()
