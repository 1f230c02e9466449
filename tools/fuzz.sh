#!/usr/bin/env bash
# Fuzz every reader of outside input with libFuzzer, ASan and UBSan:
#   tools/fuzz.sh [SECONDS] [TARGET...]
# SECONDS per target (default 60); TARGETs among spec_json spec_language
# safetensors tuning_cache idx image cifar (default: all). Builds in build-fuzz with
# clang 19 (installing clang-19, libclang-rt-19-dev and libomp-19-dev when
# run as root).
# Each target starts from tests/fuzz/corpus/TARGET (with the tokens of
# tests/fuzz/dict/TARGET.dict where there is one); inputs that reach new
# code go to build-fuzz/corpus/TARGET, crashes to build-fuzz/crashes/TARGET.
# A crash is fixed and its input added to tests/fuzz/corpus/TARGET, which
# ctest replays in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(spec_json spec_language safetensors tuning_cache idx image cifar)

source tools/clang19.sh

BUILD=build-fuzz
cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DALEXC_FUZZ=ON \
  -DALEXC_SANITIZE=address,undefined >/dev/null
cmake --build "$BUILD" --target "${TARGETS[@]/#/alexc-fuzz-}"

# As in tools/dev.sh test --sanitize: MLIR keeps its contexts' memory to
# exit, and Debian's libMLIR is not instrumented.
export ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$BUILD/corpus/$t" "$BUILD/crashes/$t"
  echo "== $t: ${SECONDS_EACH} s"
  # A dictionary of brackets and keywords, so that libFuzzer builds deep
  # and well-formed values by itself.
  dict=()
  [[ -f tests/fuzz/dict/$t.dict ]] && dict=(-dict="tests/fuzz/dict/$t.dict")
  if ! "$BUILD/tests/fuzz/alexc-fuzz-$t" -max_total_time="$SECONDS_EACH" \
      -max_len=8192 -timeout=20 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$BUILD/crashes/$t/" \
      "$BUILD/corpus/$t" "tests/fuzz/corpus/$t" 2>"$BUILD/fuzz-$t.log"; then
    status=1
    echo "$t: FAILED; the input is in $BUILD/crashes/$t, the report in $BUILD/fuzz-$t.log"
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$BUILD/fuzz-$t.log" |
    sed "s/^/  /"
done
exit $status
