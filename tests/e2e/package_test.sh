#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` builds it; unpacked into a temporary
# root (as dpkg would install it, without touching the system), its alexc
# says its version, compiles LeNet and the executable trains 2 steps; the
# package declares the tools models are compiled with.
# usage: package_test.sh BUILD_DIR SPEC WORKDIR
set -eu
build=$1 spec=$2 work=$3
command -v dpkg-deb >/dev/null || { echo "no dpkg-deb: skipped"; exit 77; }
rm -rf "$work" && mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work/out" > "$work/cpack.log")
deb=$(ls "$work"/out/alexc_*.deb)
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Depends
dpkg-deb --field "$deb" Depends | grep -q "g++"
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/alexc" --version | tee "$work/version.txt"
grep -q "^alexc $(dpkg-deb --field "$deb" Version)" "$work/version.txt"
test -x "$work/root/usr/share/alexc/plot_log.py"
"$work/root/usr/bin/alexc" "$spec" --target cpu -o "$work/model_train"
"$work/model_train" --steps 2 --limit-test 64 --quiet --log "$work/log.jsonl"
test "$(grep -c '"type": "step"' "$work/log.jsonl")" -eq 2
echo "the packaged alexc built and ran $(basename "$spec")"
