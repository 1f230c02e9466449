#!/usr/bin/env bash
# alexc --emit=onnx against ONNX Runtime. For each spec: train a little,
# export the weights as ONNX, and run the model in ONNX Runtime on the first
# 256 test images: the same top-1 classes and logits within 1e-4 as the
# inference executable, and the accuracy of --eval-only (onnx_compare.py).
# Then the errors: no --weights, another model's weights, a tensor of the
# wrong shape, no -o.
# ONNX Runtime comes from PyPI into a virtual environment made here (kept in
# ALEXC_ONNX_VENV, default ~/.cache/alexc/onnx-venv); where it cannot be
# installed the test is skipped (exit 77) and says why.
# usage: onnx_export.sh ALEXC PYTHON WORKDIR SPEC SPEC SPEC... (the first
# and third share no tensor names)
set -eu
alexc=$1 python=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
data=/usr/share/datasets/fashion-mnist
venv=${ALEXC_ONNX_VENV:-$HOME/.cache/alexc/onnx-venv}

if ! "$alexc" --help | grep -q "=onnx"; then
  echo "skipped: this alexc has no --emit=onnx"; exit 77
fi
if ! "$venv/bin/python" -c "import onnxruntime, numpy" 2>/dev/null; then
  echo "making $venv with onnxruntime and numpy from PyPI"
  if ! { "$python" -m venv "$venv" && "$venv/bin/pip" install -q onnxruntime numpy; }; then
    echo "skipped: ONNX Runtime could not be installed from PyPI into $venv"
    exit 77
  fi
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work"

# The first 256 test images and labels as uncompressed IDX files.
"$python" - "$data" <<'PY'
import gzip, struct, sys
data = sys.argv[1]
images = gzip.open(f"{data}/t10k-images-idx3-ubyte.gz").read()
labels = gzip.open(f"{data}/t10k-labels-idx1-ubyte.gz").read()
open("images.idx", "wb").write(struct.pack(">IIII", 0x803, 256, 28, 28) + images[16:16 + 256 * 784])
open("labels.idx", "wb").write(struct.pack(">II", 0x801, 256) + labels[8:8 + 256])
PY

for spec in "$@"; do
  name=$(basename "$spec" .json)
  echo "== $name"
  "$alexc" "$spec" --target cpu --batch-size 32 -o "${name}_train"
  "$alexc" "$spec" --batch-size 32 --mode=inference -o "${name}_infer"
  # A learning rate at which every model learns at batch 32 (a diverged
  # model's logits would say little).
  "./${name}_train" --epochs 1 --limit-train 1024 --limit-test 256 --lr 0.02 --quiet \
    --save "$name.safetensors"
  "$alexc" "$spec" --batch-size 32 --emit=onnx --weights "$name.safetensors" -o "$name.onnx"
  "./${name}_infer" --weights "$name.safetensors" --json images.idx > "$name.jsonl"
  "./${name}_train" --eval-only --init "$name.safetensors" --limit-test 256 --quiet > "$name.eval"
  "$venv/bin/python" "$here/onnx_compare.py" "$name.onnx" images.idx labels.idx "$name.jsonl" "$name.eval"
done

# Bad input: each an error naming what is wrong, exit status 1.
first=$1 firstName=$(basename "$1" .json) other=$3
expect_error() {
  local what=$1; shift
  set +e
  "$@" > err.out 2>&1
  local rc=$?
  set -e
  if [[ $rc -ne 1 ]] || ! grep -q "$what" err.out; then
    echo "FAIL: '$*' exited $rc; wanted 1 and '$what':"; cat err.out; exit 1
  fi
  echo "ok: $(head -1 err.out)"
}
expect_error "needs --weights" "$alexc" "$first" --emit=onnx -o x.onnx
expect_error "give -o" "$alexc" "$first" --emit=onnx --weights "$firstName.safetensors"
expect_error "no tensor '" "$alexc" "$other" --emit=onnx --weights "$firstName.safetensors" -o x.onnx
expect_error "cannot open\|No such file" "$alexc" "$first" --emit=onnx --weights missing.safetensors -o x.onnx
# The first 4-D tensor of the file with its dimensions reversed (the same
# bytes, another shape).
"$python" - "$firstName.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
name = next(k for k in header if k != "__metadata__" and len(header[k]["shape"]) == 4)
header[name]["shape"].reverse()
text = json.dumps(header).encode()
open("reshaped.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
print(f"reshaped.safetensors: '{name}' is {header[name]['shape']}")
PY
expect_error "in the file, .* in the model" "$alexc" "$first" --emit=onnx --weights reshaped.safetensors -o x.onnx
[[ ! -e x.onnx ]] || { echo "FAIL: a failed export left x.onnx"; exit 1; }
echo "ONNX export: all checks passed"
