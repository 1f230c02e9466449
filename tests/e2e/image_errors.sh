#!/usr/bin/env bash
# Bad image data: each case must exit 1 with a message naming the file and
# the problem (or, with --skip-bad-images, skip and list the bad files).
# usage: image_errors.sh ALEXC PYTHON WORKDIR
set -u
alexc=$1 python=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$python" - <<'PY' || exit 77  # 77: no PIL, skipped
import os, struct, zlib
import numpy as np
from PIL import Image
rng = np.random.default_rng(1)
def folder(root, classes=("a", "b", "c"), n=3, size=(8, 8)):
    for split in ("train", "test"):
        for c in classes:
            os.makedirs(f"{root}/{split}/{c}", exist_ok=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)).save(
                    f"{root}/{split}/{c}/{i}.jpg")
folder("good")
folder("corrupt"); open("corrupt/train/a/0.jpg", "wb").write(b"\xff\xd8\xff\xe0" + bytes(rng.integers(0, 256, 300, dtype=np.uint8)))
folder("truncated"); data = open("truncated/train/b/1.jpg", "rb").read(); open("truncated/train/b/1.jpg", "wb").write(data[: len(data) // 2])
folder("huge")
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
open("huge/train/a/0.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(bytes(64))) + chunk(b"IEND", b""))
folder("empty-class"); os.makedirs("empty-class/train/d")
folder("other-classes"); os.rename("other-classes/test/c", "other-classes/test/z")
folder("four-classes", classes=("a", "b", "c", "d"))
folder("bmp"); Image.new("RGB", (8, 8)).save("bmp/train/a/x.bmp")
folder("sizes"); Image.new("RGB", (9, 8)).save("sizes/train/c/9.png")
os.makedirs("no-images/train"); os.makedirs("no-images/test")
os.makedirs("cifar"); open("cifar/data_batch_1.bin", "wb").write(bytes(3073 * 2 + 5)); open("cifar/test_batch.bin", "wb").write(bytes(3073))
PY
cat > tiny.json <<'J'
{"name": "tiny", "input": {"channels": 3, "height": 8, "width": 8},
 "layers": [{"name": "fc", "type": "dense", "units": 3}], "batch_size": 4, "epochs": 1}
J
"$alexc" tiny.json --target cpu -o tiny 2>/dev/null || { echo "FAIL: building tiny"; exit 1; }
source "$(dirname "$0")/expect.sh"
q="--quiet --steps 1"
expect 0 "" -- ./tiny --data good $q
expect 1 "corrupt/train/a/0.jpg: (corrupt or truncated JPEG|not a readable JPEG) \(libjpeg-turbo: .+\)" -- ./tiny --data corrupt $q
expect 1 "truncated/train/b/1.jpg: (corrupt or truncated JPEG|not a readable JPEG) \(libjpeg-turbo: .+\)" -- ./tiny --data truncated $q
expect 0 "warning: skipped truncated/train/b/1.jpg: (corrupt or truncated|not a readable) JPEG" -- ./tiny --data truncated --skip-bad-images --steps 1
expect 0 "note: 1 bad images skipped" -- ./tiny --data truncated --skip-bad-images --steps 1
expect 1 "huge/train/a/0.png: the PNG header announces 20000x20000 pixels; alexc takes 1 to 2\^28 pixels" -- ./tiny --data huge $q
expect 1 "empty-class/train/d: the class folder holds no image files" -- ./tiny --data empty-class $q
expect 1 "other-classes: the test classes \(a, b, z\) differ from the train classes \(a, b, c\)" -- ./tiny --data other-classes $q
expect 1 "four-classes/train: label 3 \('d'\) of example 9 is out of range for a 3-class model \(the data has 4 classes\)" -- ./tiny --data four-classes $q
expect 1 "bmp/train/a/x.bmp: alexc decodes JPEG, PNG and PGM/PPM files; convert this one" -- ./tiny --data bmp $q
expect 1 "the images differ in size \(sizes/train/a/0.jpg is 8x8, sizes/train/c/9.png is 9x8\): give data.train transforms that end at the model's size" -- ./tiny --data sizes $q
expect 1 "no-images/train: no class folders" -- ./tiny --data no-images $q
expect 1 "cifar/data_batch_1.bin: 6151 bytes is not a whole number of CIFAR-10 records \(3073 bytes each\)" -- ./tiny --data cifar $q
expect 1 "nowhere: no such folder; --data takes fashion-mnist or a folder of" -- ./tiny --data nowhere $q

# --data-cache: the second run reads the decoded set back and trains on the
# same batches; a corrupt cache file is ignored with a note; a changed file
# makes a new cache entry.
./tiny --data good --steps 2 --quiet --dump-batches plain.safetensors
expect 0 "" -- ./tiny --data good --steps 2 --data-cache cache
expect 0 "note: good/train: decoded images read from cache/decoded-[0-9a-f]+.bin" -- ./tiny --data good --steps 2 --data-cache cache --dump-batches cached.safetensors
if ! cmp -s plain.safetensors cached.safetensors; then
  echo "FAIL: batches from the decode cache differ"; failures=$((failures + 1))
fi
for f in cache/decoded-*.bin; do head -c 100 "$f" > "$f.cut" && mv "$f.cut" "$f"; done
expect 0 "note: cache/decoded-[0-9a-f]+.bin: a corrupt decode cache \(.*\); decoding again" -- ./tiny --data good --steps 2 --data-cache cache
touch -d "2001-01-01" good/train/a/0.jpg
out=$(./tiny --data good --steps 2 --data-cache cache 2>&1)
if grep -q "good/train: decoded images read from" <<<"$out"; then
  echo "FAIL: a changed file still read from the cache"; failures=$((failures + 1))
else
  echo "ok: a changed file is decoded again"
fi
exit $((failures > 0))
