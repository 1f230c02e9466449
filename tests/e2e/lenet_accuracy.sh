#!/usr/bin/env bash
# LeNet end to end on the real Fashion-MNIST: 2 epochs, test accuracy at
# least 0.85.
# usage: lenet_accuracy.sh LENET_TRAIN WORKDIR
set -eu
exe=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$exe" --epochs 2 --log lenet.jsonl | tee out.txt
python3 - <<'PY'
import json
epochs = [e for e in map(json.loads, open("lenet.jsonl")) if e["type"] == "epoch"]
last = epochs[-1]
print(f"LeNet after {len(epochs)} epochs: test accuracy {last['test_acc']:.4f}")
assert len(epochs) == 2, epochs
assert last["test_acc"] >= 0.85, last
PY
