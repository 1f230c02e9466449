# Sourced by tools/fuzz.sh and tools/tsan.sh: makes sure clang 19, its
# sanitizer runtimes and LLVM's OpenMP runtime are installed, installing
# them when run as root.
CLANG_PACKAGES=(clang-19 libclang-rt-19-dev libomp-19-dev)
missing=()
for p in "${CLANG_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
