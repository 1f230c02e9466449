#!/usr/bin/env bash
# Builds what tools/gpu_check.sh runs on a GPU machine into .device/: the
# AlexNet executable with CUDA code (batch 128 and, for the kernel check,
# batch 2) and a copy of the Fashion-MNIST files. Then carry .device.
set -eu
cd "$(dirname "$0")/.."
alexc=${ALEXC:-build/bin/alexc}
mkdir -p .device/data
cp /usr/share/datasets/fashion-mnist/*.gz .device/data/
"$alexc" models/alexnet.json --target all -o .device/alexnet_train
"$alexc" models/alexnet.json --target all --batch-size 2 -o .device/alexnet_check
du -sh .device
