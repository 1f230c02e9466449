#!/usr/bin/env bash
# alexc works after `cmake --install` to another prefix: it finds the
# runtime beside itself and builds a model that trains.
# usage: install_test.sh BUILD_DIR SPEC WORKDIR
set -eu
build=$1 spec=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
"$work/prefix/bin/alexc" "$spec" -o "$work/model_train"
"$work/model_train" --steps 2 --limit-test 64 --quiet --log "$work/log.jsonl"
test "$(grep -c '"type": "step"' "$work/log.jsonl")" -eq 2
echo "installed alexc built and ran $(basename "$spec")"
