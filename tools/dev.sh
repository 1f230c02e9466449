#!/usr/bin/env bash
# One entry point for a new checkout:
#   tools/dev.sh run    install what is missing, build, compile AlexNet and
#                       train it on Fashion-MNIST (extra flags go to
#                       alexnet_train, e.g. --epochs 1)
#   tools/dev.sh test   install what is missing, build, run every test
#   tools/dev.sh test --sanitize
#                       the same under AddressSanitizer and UBSan (in
#                       build-sanitize): every test but the AlexNet-sized
#                       and PyTorch ones and the docs' commands
# BUILD_DIR (default: build) picks the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Debian package the build and the tests need (.ci/run installs the same).
PACKAGES=(cmake ninja-build g++ llvm-19-dev llvm-19-tools libmlir-19-dev
          mlir-19-tools nlohmann-json3-dev libfmt-dev libgtest-dev zlib1g-dev
          dataset-fashion-mnist python3-torch libopenmpi-dev openmpi-bin
          python3-matplotlib dpkg-dev libpng-dev libonnx-dev libprotobuf-dev
          python3-venv graphviz libturbojpeg0-dev python3-pil
          python3-torchvision)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

build() {
  local dir=${BUILD_DIR:-build}
  cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DALEXC_SANITIZE="${SANITIZE:-}" >/dev/null
  cmake --build "$dir"
}

case "${1:-}" in
run)
  # The main job: compile the d2l reference's AlexNet, train it on
  # Fashion-MNIST, evaluate.
  install_missing
  build
  "${BUILD_DIR:-build}/bin/alexc" models/alexnet.json -o alexnet_train
  ./alexnet_train --data fashion-mnist "${@:2}"
  ;;
test)
  install_missing
  if [[ "${2:-}" == "--sanitize" ]]; then
    # Leaks are not checked: MLIR's contexts and LLVM's options live until
    # exit by design. LLVM's allocators poison memory in the headers our
    # code instantiates but not in Debian's (unsanitized) libMLIR, whose
    # accesses then look like use-after-poison: manual poisoning is off.
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_poisoning=0
    export UBSAN_OPTIONS=print_stacktrace=1
    BUILD_DIR=${BUILD_DIR:-build-sanitize} SANITIZE=address,undefined build
    ctest --test-dir "${BUILD_DIR:-build-sanitize}" --output-on-failure -j 2 \
      -E 'alexnet|AlexNet|torch|cuda_build|install|package|mpi|doc_commands'
  else
    build
    ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2
  fi
  ;;
*)
  echo "usage: tools/dev.sh run [FLAGS] | test [--sanitize]" >&2
  exit 2
  ;;
esac
