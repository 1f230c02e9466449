#!/usr/bin/env bash
# tools/plot_log.py, run by its path as the README runs it, draws a real
# run's log: LeNet for 2 short epochs with --log, then the picture, whose
# legend names every curve; a bad log line is an error naming the file and
# line. Skipped (77) without matplotlib.
# usage: plot_log_test.sh LENET_EXE PLOT_LOG PYTHON WORKDIR
set -eu
exe=$1 plot=$2 python=$3 work=$4
"$python" -c "import matplotlib" 2>/dev/null || { echo "no matplotlib: skipped"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$exe" --epochs 2 --limit-train 640 --limit-test 256 --log run.jsonl --quiet
"$plot" run.jsonl -o curves.svg --window 5
for curve in "train loss" "train acc" "test acc" "mean of 5" "per epoch" "per step"; do
  grep -q -- "<!-- $curve -->" curves.svg || { echo "no '$curve' in the picture"; exit 1; }
done
"$plot" run.jsonl -o curves.png
[[ "$(head -c 4 curves.png | tail -c 3)" == "PNG" ]]
echo '{"type": "step", "step": 0' > bad.jsonl
if "$plot" bad.jsonl -o bad.svg 2> bad.err; then exit 1; fi
grep "bad.jsonl:1: not a JSON object" bad.err
echo "plot_log.py drew $(grep -c '"type": "step"' run.jsonl) steps and 2 epochs"
