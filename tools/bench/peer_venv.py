"""The benchmarks' virtual environment of peers, from PyPI.

PyTorch 2.x with torchvision, and JAX, in ~/.cache/alexc/bench-venv by
default, made on first use with Python 3.12 or newer (jax needs it):
about 6 GB, since the torch wheel brings CUDA libraries.
"""
import glob
import os
import shutil
import subprocess
import sys

DEFAULT = os.path.expanduser("~/.cache/alexc/bench-venv")


def runs(python):
    """Whether `python` starts (a pyenv shim of a version that is not
    selected is on PATH but does not)."""
    return subprocess.run([python, "--version"], capture_output=True).returncode == 0


def find_python312():
    """A Python 3.12 or newer that runs: on PATH, or one of pyenv's."""
    candidates = [shutil.which(n) for n in ("python3.13", "python3.12")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python")),
                         reverse=True)
    for path in candidates:
        if path and runs(path):
            return path
    sys.exit("needs Python 3.12 or newer for jax (none runs on PATH or in ~/.pyenv)")


def peer_python(venv=DEFAULT):
    """The venv's python, made (torch, torchvision and jax installed) on
    first use."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"making {venv} (pip install torch torchvision jax, about 6 GB)", flush=True)
        subprocess.run([find_python312(), "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "torch", "torchvision", "jax"],
                       check=True)
    return python
