#!/usr/bin/env bash
# Errors of a compiled executable: corrupt data, checkpoints of another model
# or corrupt ones, a non-finite loss, bad flags. Each must exit non-zero with
# a message that names the file and the problem.
# usage: runtime_errors.sh LENET_TRAIN ALEXC WORKDIR
set -u
exe=$1 alexc=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
python3 "$(dirname "$0")/make_bad_data.py" /usr/share/datasets/fashion-mnist data || exit 1
source "$(dirname "$0")/expect.sh"
q="--quiet --limit-test 64"
expect 1 "t10k-images-idx3-ubyte.gz: not an IDX image file \(magic 0x00000801, expected 0x00000803\)" -- "$exe" --data data/bad-magic --eval-only $q
expect 1 "t10k-images-idx3-ubyte.gz: (truncated gzip file|corrupt gzip data)" -- "$exe" --data data/truncated --eval-only $q
expect 1 "t10k-images-idx3-ubyte.gz: truncated: the header announces 1000 images" -- "$exe" --data data/short-images --eval-only $q
expect 1 "t10k-labels-idx1-ubyte.gz: label 12 of example 5 is out of range 0..9" -- "$exe" --data data/bad-label --eval-only $q
expect 1 "t10k-labels-idx1-ubyte.gz: cannot open: No such file or directory" -- "$exe" --data data/missing --eval-only $q
expect 1 "unknown option '--epoch'" -- "$exe" --epoch 3
expect 1 "--steps needs an integer >= 0, got 'x'" -- "$exe" --steps x
expect 1 "--device must be auto, cpu or cuda" -- "$exe" --device tpu
expect 1 "--precision must be fp32 or tf32" -- "$exe" --precision fp16
expect 1 "--precision bf16 is not offered: alexc has no bf16 tensors yet" -- "$exe" --precision bf16
expect 1 "--device cuda: this executable was built without CUDA code" -- "$exe" --device cuda $q
expect 1 "--variant nope=cublas: model 'lenet' has no kernel 'nope' with a convolution or GEMM; it has conv1_forward, .*fc1_forward" -- "$exe" --variant nope=cublas
expect 1 "--variant fc1_forward=cudnn: 'fc1_forward' is a dense layer's GEMM; cudnn covers convolutions only" -- "$exe" --variant fc1_forward=cudnn
expect 1 "--variant needs KERNEL=generated\|cublas\|cudnn, got 'conv1_forward'" -- "$exe" --variant conv1_forward
expect 1 "--tuning-cache needs a file name, or off" -- "$exe" --tuning-cache=

# A good checkpoint, then broken ones.
"$exe" --data data/good --steps 2 --save good.safetensors $q || { echo "FAIL: training"; exit 1; }
head -c 100 good.safetensors > truncated.safetensors
expect 1 "truncated.safetensors: not a safetensors file \(header length [0-9]+ exceeds the file size 100\)" -- "$exe" --data data/good --resume truncated.safetensors $q
printf 'not a checkpoint at all' > garbage.safetensors
expect 1 "garbage.safetensors: not a safetensors file" -- "$exe" --data data/good --resume garbage.safetensors $q
expect 1 "missing.safetensors: cannot open" -- "$exe" --data data/good --resume missing.safetensors $q
# A checkpoint of another spec (the same network, another learning rate).
python3 - "$(dirname "$0")/../../models/lenet.json" <<'PY' > other.json
import json, sys
s = json.load(open(sys.argv[1])); s["optimizer"]["learning_rate"] = 0.01; print(json.dumps(s))
PY
"$alexc" other.json -o other_train 2>/dev/null || { echo "FAIL: building other_train"; exit 1; }
expect 1 "good.safetensors: checkpoint of model 'lenet' \(spec hash [0-9a-f]+\), but this executable is model 'lenet' \(spec hash [0-9a-f]+\)" -- ./other_train --data data/good --resume good.safetensors $q
# --init takes parameters only, by name and shape.
expect 1 "--init and --resume cannot be used together" -- "$exe" --init good.safetensors --resume good.safetensors
# A diverging run stops at the first non-finite loss, keeps the checkpoint.
before=$(md5sum < good.safetensors)
expect 3 "the loss is (NaN|infinite) at step [0-9]+ \(epoch 0, batch [0-9]+\); stopping. The last good checkpoint is good.safetensors" -- "$exe" --data data/good --resume good.safetensors --lr 1e38 --steps 50 --save good.safetensors $q
if [[ $(md5sum < good.safetensors) != "$before" ]]; then
  echo "FAIL: the diverging run overwrote the last good checkpoint"; failures=$((failures + 1))
fi
# Out of memory (100 MB of address space) is one line, not an abort. (A
# sanitizer reserves far more address space than that at start-up.)
if [[ -n "${ALEXC_SANITIZED:-}" ]]; then
  echo "skipped under a sanitizer: the out-of-memory check (ulimit -v)"
else
  expect 1 "error: out of memory \(the model's buffers and the data set do not fit" -- bash -c "ulimit -v 100000; exec \"$exe\" --quiet --epochs 1 --limit-train 256 --limit-test 64 --threads 1"
fi
echo "$failures failed"
[[ $failures -eq 0 ]]
