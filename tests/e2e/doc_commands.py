#!/usr/bin/python3
"""Runs the commands the README and docs/ show, exactly as written.

Every line of a ```sh block in README.md and docs/*.md is a command; the
blocks of one file run in order, in one scratch folder that has the
repository's folders (`build` is the build tree) and alexc on PATH, as a
reader who followed that page would. A command fails the test when it
exits non-zero. RULES says, for the commands that cannot run here as they
stand, what is done instead and why; a rule that matches no command fails
the test too, so the list stays true. Commands a page repeats run once.

Inline code that names a script under tools/ (`tools/plot_log.py run.jsonl
-o curves.svg`) must name a file that exists, and one that is run by its
path must be executable.

usage: doc_commands.py SOURCE_DIR BUILD_DIR WORKDIR
"""
import glob
import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

FASHION = "/usr/share/datasets/fashion-mnist"

# (pattern, action, why). The first rule whose pattern matches decides:
# "skip", or flags appended to the command.
RULES = [
    (r"^tools/dev\.sh (run|test)", "skip",
     "CI runs `tools/dev.sh test` itself; `run` is the build plus the README's first block, "
     "which runs here"),
    (r"^tools/tsan\.sh", "skip", "installs clang 19 and runs for minutes; see docs/reliability.md"),
    (r"--device cuda|--ranks 4", "skip", "needs GPUs (tools/gpu_check.sh checks them)"),
    (r"^mpirun -np [3-9]|--hostfile|^srun", "skip", "needs more cores or nodes than one test machine"),
    (r"^(build/bin/)?alexc \S+ (.* )?-o \S+_(train|dp|infer)\b", "--target cpu",
     "the CUDA half takes nvcc minutes for 3 architectures; e2e_cuda_build builds it"),
    (r"\./(alexnet|resnet18)_(train|dp)\b(?!.*--help)", "--limit-train 256 --limit-test 256",
     "an epoch of these takes 5 to 15 minutes on 2 cores"),
    (r"--interpret", "--limit-train 64 --limit-test 64",
     "the reference interpreter runs naive loops: minutes per thousand images"),
]


def sh_blocks(path):
    """The commands of every ```sh block of a Markdown file, with their
    line numbers; continuation lines are joined."""
    text = open(path).read()
    commands = []
    for m in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
        first = text[:m.start()].count("\n") + 2
        pending, start = "", 0
        for i, line in enumerate(m.group(1).splitlines()):
            if not pending:
                start = first + i
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command = (pending + line).strip()
            pending = ""
            if command and not command.startswith("#"):
                commands.append((start, command))
    return commands


def strip_comment(command):
    """The command without a trailing `# comment` (a # outside quotes,
    after a space)."""
    quote = None
    for i, c in enumerate(command):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and i > 0 and command[i - 1].isspace():
            return command[:i].rstrip()
    return command


def write_png(path, pixels, width, height, channels=1):
    """An 8-bit gray or RGB PNG, written by hand so the test needs no
    imaging library."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    row = width * channels
    rows = b"".join(b"\0" + pixels[y * row:(y + 1) * row] for y in range(height))
    color = 0 if channels == 1 else 2
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(rows)))
        f.write(chunk(b"IEND", b""))


def make_image_folder(root):
    """my_images/{train,test}/<class>/*.png: 32x32 RGB images of three
    classes (each a tint of noise), as a reader's own images."""
    seed = 1
    for split, count in (("train", 24), ("test", 8)):
        for k, name in enumerate(("circle", "square", "triangle")):
            os.makedirs(os.path.join(root, split, name))
            for i in range(count):
                pixels = bytearray()
                for p in range(32 * 32 * 3):
                    seed = (seed * 1103515245 + 12345) % 2**31
                    pixels.append((seed >> 16) % 128 + (100 if p % 3 == k else 0))
                write_png(os.path.join(root, split, name, f"{i:03d}.png"), bytes(pixels), 32, 32, 3)


def make_fixtures(work):
    """The files a reader brings: images to classify (test images 0 and
    1 of Fashion-MNIST, an ankle boot and a pullover) and a folder of
    their own images."""
    make_image_folder(os.path.join(work, "my_images"))
    with gzip.open(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")) as f:
        data = f.read()
    first, second = data[16:16 + 784], data[16 + 784:16 + 2 * 784]
    write_png(os.path.join(work, "image.png"), first, 28, 28)
    write_png(os.path.join(work, "shoe.png"), first, 28, 28)
    with open(os.path.join(work, "photo.pgm"), "wb") as f:
        f.write(b"P5\n28 28\n255\n" + second)


def scratch(work, source, build):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for name in ("models", "tools", "tests", "docs", "runtime", "compiler"):
        os.symlink(os.path.join(source, name), os.path.join(work, name))
    os.symlink(build, os.path.join(work, "build"))
    make_fixtures(work)


def check_inline_scripts(source, pages):
    """Inline code that starts with a path under tools/ names a file that
    exists; when the code runs it (arguments follow, or it is the whole
    span), the file is executable."""
    failures = []
    for page in pages:
        text = re.sub(r"^```.*?^```", "", open(page).read(), flags=re.S | re.M)
        for span in re.findall(r"`([^`\n]+)`", text):
            if not span.startswith("tools/"):
                continue
            path = span.split()[0].rstrip(".,;:)")
            full = os.path.join(source, path.replace("…", "").replace("...", ""))
            if not os.path.exists(full):
                failures.append(f"{os.path.relpath(page, source)}: `{span}` names {path}, "
                                "which does not exist")
            elif os.path.isfile(full) and open(full, "rb").read(2) == b"#!" \
                    and not os.access(full, os.X_OK):
                failures.append(f"{os.path.relpath(page, source)}: `{span}` runs {path}, "
                                "which is not executable")
    return failures


def run_page(page, source, build, work, env, used_rules):
    commands = sh_blocks(page)
    if not commands:
        return []
    rel = os.path.relpath(page, source)
    scratch(work, source, build)
    failures, seen = [], set()
    for line, written in commands:
        command = strip_comment(written)
        canonical = re.sub(r"^build/bin/", "", command)
        if canonical in seen:
            print(f"{rel}:{line}: ran above: {command}")
            continue
        seen.add(canonical)
        rule = next((r for r in RULES if re.search(r[0], command)), None)
        if rule:
            used_rules.add(rule[0])
            if rule[1] == "skip":
                print(f"{rel}:{line}: not run ({rule[2]}): {command}")
                continue
            command += " " + rule[1]
        start = time.time()
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        note = f" (with {rule[1]}: {rule[2]})" if rule else ""
        print(f"{rel}:{line}: exit {result.returncode} in {time.time() - start:.1f} s: "
              f"{command}{note}")
        if result.returncode != 0:
            tail = result.stdout.decode(errors="replace").splitlines()[-15:]
            failures.append(f"{rel}:{line}: `{written}` exited {result.returncode}:\n  " +
                            "\n  ".join(tail))
    return failures


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    source, build, work = (os.path.abspath(a) for a in sys.argv[1:])
    pages = [os.path.join(source, "README.md")] + sorted(glob.glob(os.path.join(source, "docs", "*.md")))
    env = dict(os.environ)
    env["PATH"] = os.path.join(build, "bin") + os.pathsep + env.get("PATH", "")
    # Open MPI refuses root unless told; a reader's account is not root.
    env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    failures = check_inline_scripts(source, pages)
    used_rules = set()
    for page in pages:
        name = os.path.splitext(os.path.basename(page))[0]
        failures += run_page(page, source, build, os.path.join(work, name), env, used_rules)
    for pattern, _, why in RULES:
        if pattern not in used_rules:
            failures.append(f"the rule {pattern!r} ({why}) matches no command in the docs")
    for f in failures:
        print("FAILED: " + f)
    print("PASSED" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
