#!/usr/bin/env bash
# The inference executable (alexc --mode=inference) against the training
# one: LeNet trained for an epoch on 2,000 images, then
#  - its top-1 class on all 10,000 test images (the IDX file) gives exactly
#    --eval-only's accuracy;
#  - five test images written as binary PGM, plain PGM, 8-bit and 16-bit
#    gray PNG and RGB PNG give the IDX file's classes and probabilities;
#  - a larger image is resized, --labels names the classes, --top limits;
#  - bad input (missing weights, unreadable or foreign files, truncated
#    PGM, wrong label count) is an error naming the file, exit status 1.
# usage: inference_test.sh ALEXC TRAIN_EXE SPEC PYTHON WORKDIR
set -eu
alexc=$1 train=$2 spec=$3 python=$4 work=$5
data=/usr/share/datasets/fashion-mnist
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$train" --epochs 1 --limit-train 2000 --quiet --save w.safetensors > train.out
"$alexc" "$spec" --mode=inference -o infer
"$train" --eval-only --init w.safetensors --quiet | tee eval.out
./infer --weights w.safetensors --json "$data/t10k-images-idx3-ubyte.gz" > all.jsonl

"$python" - "$data" <<'PY'
import gzip, json, struct, sys, zlib
data = sys.argv[1]
labels = gzip.open(f"{data}/t10k-labels-idx1-ubyte.gz").read()[8:]
rows = [json.loads(l) for l in open("all.jsonl")]
assert len(rows) == 10000 and [r["index"] for r in rows] == list(range(10000))
right = sum(r["top"][0]["id"] == labels[r["index"]] for r in rows)
acc = float(open("eval.out").read().split("Test acc :")[1])
print(f"inference top-1: {right}/10000 = {right / 10000:.6f}; --eval-only {acc:.6f}")
assert abs(right / 10000 - acc) < 5e-7, "the inference executable disagrees with --eval-only"

images = gzip.open(f"{data}/t10k-images-idx3-ubyte.gz").read()[16:]
def png(path, w, h, kind, pixels):
    depth, color, per = {"gray8": (8, 0, 1), "gray16": (16, 0, 2), "rgb": (8, 2, 3)}[kind]
    raw = b""
    for y in range(h):
        row = b""
        for v in pixels[y * w:(y + 1) * w]:
            row += {"gray8": bytes([v]), "gray16": struct.pack(">H", v * 257), "rgb": bytes([v] * 3)}[kind]
        raw += b"\0" + row
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
for i in range(5):
    px = images[i * 784:(i + 1) * 784]
    open(f"p5_{i}.pgm", "wb").write(b"P5\n# test image\n28 28\n255\n" + px)
    open(f"p2_{i}.pgm", "w").write("P2\n28 28\n255\n" + " ".join(map(str, px)) + "\n")
    for kind in ("gray8", "gray16", "rgb"):
        png(f"{kind}_{i}.png", 28, 28, kind, px)
big = bytes(images[y // 2 * 28 + x // 2] for y in range(56) for x in range(56))
open("big.pgm", "wb").write(b"P5 56 56 255\n" + big)
PY

for kind in p5 p2 gray8 gray16 rgb; do
  ext=pgm; [[ $kind == p5 || $kind == p2 ]] || ext=png
  ./infer --weights w.safetensors --json ${kind}_{0..4}.$ext > $kind.jsonl
done
"$python" - <<'PY'
import json
ref = [json.loads(l) for l in open("all.jsonl")][:5]
for kind in ("p5", "p2", "gray8", "gray16", "rgb"):
    got = [json.loads(l) for l in open(f"{kind}.jsonl")]
    for r, g in zip(ref, got):
        assert [t["id"] for t in r["top"]] == [t["id"] for t in g["top"]], (kind, r, g)
        assert all(abs(a["probability"] - b["probability"]) < 1e-6 for a, b in zip(r["top"], g["top"])), kind
    print(f"{kind}: the same classes and probabilities as the IDX file")
PY
./infer --weights w.safetensors big.pgm --top 1 | tee big.out
grep -q "^big.pgm: " big.out
seq 0 9 | sed 's/^/label-/' > names.txt
./infer --weights w.safetensors --labels names.txt --top 2 p5_0.pgm | tee named.out
grep -Eq "^p5_0.pgm: label-[0-9] [0-9.]+, label-[0-9] [0-9.]+$" named.out

fails() { # fails EXPECTED_MESSAGE ARGS...: exit status 1 and the message
  local want=$1; shift
  if ./infer "$@" > fail.out 2>&1; then echo "accepted: $*"; exit 1; fi
  grep -F -- "$want" fail.out || { echo "wanted '$want', got:"; cat fail.out; exit 1; }
}
echo "not an image" > note.txt
head -c 100 p5_0.pgm > cut.pgm
seq 3 > three.txt
fails "error: --weights FILE is required" p5_0.pgm
fails "error: no images given" --weights w.safetensors
fails "error: nope.png: cannot open: No such file or directory" --weights w.safetensors nope.png
fails "error: note.txt: not an image this program reads (IDX, JPEG, PNG, PGM or PPM)" --weights w.safetensors note.txt
fails "error: cut.pgm: truncated PGM: 784 bytes of pixels announced" --weights w.safetensors cut.pgm
fails "error: three.txt: has 3 names; the model has 10 classes" --weights w.safetensors --labels three.txt p5_0.pgm
fails "error: --top takes a positive integer, got '0'" --weights w.safetensors --top 0 p5_0.pgm
fails "nope.safetensors" --weights nope.safetensors p5_0.pgm
echo "inference: all checks passed"
