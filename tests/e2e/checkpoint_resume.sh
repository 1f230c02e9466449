#!/usr/bin/env bash
# Checkpoints: 2 steps + resume 2 steps is bitwise the same as 4 steps
# straight; a resumed epoch prints the same line as an uninterrupted one;
# Ctrl-C saves a checkpoint that resumes, SIGTERM and SIGUSR1 too;
# --save-every checkpoints left by kill -9 resume exactly; a full disk is an
# error that keeps the previous checkpoint; --interpret follows the compiled
# executable's losses.
# usage: checkpoint_resume.sh LENET_TRAIN ALEXC SPEC WORKDIR
set -u
exe=$1 alexc=$2 spec=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failures=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi; }
q="--quiet --limit-train 1280 --limit-test 256"

"$exe" $q --steps 4 --save straight.safetensors
"$exe" $q --steps 2 --save half.safetensors
"$exe" $q --resume half.safetensors --steps 4 --save resumed.safetensors
check "2 steps + resume 2 steps == 4 steps straight (bitwise)" "cmp -s straight.safetensors resumed.safetensors"

"$exe" $q --epochs 1 > full.txt
"$exe" $q --epochs 1 --steps 7 --save mid.safetensors > /dev/null
"$exe" $q --epochs 1 --resume mid.safetensors > resumed.txt
line() { sed -n 's/^\(Epoch 0\. Loss.*Test acc : [0-9.]*\).*/\1/p' "$1"; }
check "resumed epoch line equals the straight one: $(line full.txt)" "[[ -n \"\$(line full.txt)\" && \"\$(line full.txt)\" == \"\$(line resumed.txt)\" ]]"

# Ctrl-C: a checkpoint, exit status 130, and the run resumes from it.
"$exe" --quiet --epochs 1 --log interrupted.jsonl --save interrupted.safetensors > /dev/null 2> interrupt.err &
pid=$!
for _ in $(seq 100); do
  [[ -f interrupted.jsonl && $(wc -l < interrupted.jsonl) -ge 3 ]] && break
  sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
check "Ctrl-C exits with 130 (got $rc)" "[[ $rc -eq 130 ]]"
check "Ctrl-C saved a checkpoint: $(tail -1 interrupt.err)" "grep -q 'saved interrupted.safetensors' interrupt.err && [[ -s interrupted.safetensors ]]"
steps=$(wc -l < interrupted.jsonl)
"$exe" $q --resume interrupted.safetensors --steps $((steps + 1)) --log after.jsonl > /dev/null 2>&1
check "the interrupted run resumes at step $steps" "grep -q '\"step\": $steps,' after.jsonl"

# SIGTERM and SIGUSR1 (what batch schedulers send before they kill) save
# like Ctrl-C and exit with 128 + the signal.
for sig in TERM USR1; do
  rm -f sig.jsonl
  "$exe" --quiet --epochs 1 --log sig.jsonl --save sig_$sig.safetensors > /dev/null 2> sig.err &
  pid=$!
  for _ in $(seq 100); do
    [[ -f sig.jsonl && $(wc -l < sig.jsonl) -ge 2 ]] && break
    sleep 0.1
  done
  kill -$sig $pid
  wait $pid
  rc=$?
  want=$((128 + $(kill -l $sig)))
  check "SIG$sig exits with $want (got $rc) after saving: $(tail -1 sig.err)" "[[ $rc -eq $want ]] && grep -q 'saved sig_$sig.safetensors' sig.err && [[ -s sig_$sig.safetensors ]]"
done

# --save-every N: kill -9 at ten moments of a run (chosen at random, the
# same on every run of this test) loses at most N steps; the file it left
# (written to a temporary file, then renamed) always loads, and resuming
# from it reaches the bits of a straight run.
long="$q --epochs 100 --steps 60"
"$exe" $long --save straight60.safetensors > /dev/null
RANDOM=7
for kill_no in $(seq 10); do
  at=$((RANDOM % 58 + 1))
  rm -f killed.safetensors killed.jsonl resumed.jsonl
  "$exe" $long --save-every 7 --save killed.safetensors --log killed.jsonl > /dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1000); do
    [[ -f killed.jsonl && $(grep -c '"step"' killed.jsonl) -ge $at ]] && break
    sleep 0.005
  done
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
  done_steps=$(grep -c '"step"' killed.jsonl)
  from=(--save resumed60.safetensors --log resumed.jsonl)
  [[ -f killed.safetensors ]] && from+=(--resume killed.safetensors)
  "$exe" $long "${from[@]}" > /dev/null 2> resume.err
  first=$(grep -m1 '"step"' resumed.jsonl | sed 's/.*"step": \([0-9]*\),.*/\1/')
  check "kill -9 #$kill_no after $done_steps steps (--save-every 7): resumed at step ${first:-?}, the straight run's bits" "[[ -n \"$first\" ]] && (( done_steps - first <= 7 )) && cmp -s resumed60.safetensors straight60.safetensors"
done
"$exe" $q --steps 2 --save-every 1 > /dev/null 2> noevery.err
check "--save-every without --save is refused: $(cat noevery.err)" "grep -q 'needs --save' noevery.err"

# A full disk (here a file-size limit): a clear error and exit status 1,
# the previous checkpoint untouched, no temporary file left behind.
cp straight.safetensors full.safetensors
before=$(md5sum < full.safetensors)
(ulimit -f 64; "$exe" $q --resume half.safetensors --steps 4 --save full.safetensors > /dev/null 2> full.err)
rc=$?
check "a write past the file-size limit fails with exit 1 (got $rc): $(tail -1 full.err)" "[[ $rc -eq 1 ]] && grep -q 'full.safetensors: cannot write: File too large' full.err"
check "the previous checkpoint is intact and no temporary file is left" "[[ \"\$(md5sum < full.safetensors)\" == \"$before\" && ! -e full.safetensors.tmp ]]"

# The interpreter runs the same loop on the IR: same losses.
"$exe" $q --no-shuffle --steps 3 --log compiled.jsonl > /dev/null
"$alexc" "$spec" --interpret $q --no-shuffle --steps 3 --log interpreted.jsonl > /dev/null
check "--interpret gives the compiled losses (1e-4)" "python3 - <<'PY'
import json
a = [json.loads(l)['loss'] for l in open('compiled.jsonl')]
b = [json.loads(l)['loss'] for l in open('interpreted.jsonl')]
assert len(a) == len(b) == 3, (a, b)
assert all(abs(x - y) <= 1e-4 * abs(y) for x, y in zip(a, b)), (a, b)
PY"
echo "$failures failed"
[[ $failures -eq 0 ]]
