#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU, CUDA and PyTorch but without
# Debian's packages (no MLIR): the executables and the Fashion-MNIST files
# are put in gpu-check/ beforehand by tools/prepare_gpu_check.sh, on a
# machine that has them. Every command runs under a share of one deadline
# (DEADLINE seconds, default 450), so the whole check ends within 8 minutes
# whatever hangs; each section ends with a verdict line, and the exit
# status is the number of failed sections.
#   1. every CUDA kernel (each variant) against the CPU kernels, random
#      inputs, at the default precision (tf32) and at fp32 (batch 2), at
#      the training batch (128) with training's cuDNN workspace, and those
#      of a small graph (tests/e2e/Inputs/onnx_graph.json: concats written
#      in place, batch norm, residual adds, global pooling)
#   2. AlexNet, the d2l chapter's 5 epochs on the real data: test accuracy
#      at least 0.86 after the fifth (the reference's 0.866), the epoch
#      lines, and the step's per-kernel times (--profile)
#   3. the training step against PyTorch (eager and torch.compile), a table
#      (also in OUT_DIR/summary.txt); PyTorch's per-kernel times go to
#      OUT_DIR/torch_profile.txt
#   4. with BASELINE=REV given to prepare_gpu_check.sh: REV's kernels
#      against today's, interleaved, with both profiles (OUT_DIR/ab.txt)
#   5. data-parallel training's GPU path on one rank (ALEXC_DATA_PARALLEL=1:
#      NCCL's all-reduce captured in the step's graph, the loss's global
#      divisor) against the plain run, 10 steps
#   6. --deterministic: two runs of 20 steps, and 10 steps + --resume + 10
#      steps, give identical checkpoints; its cost per step
# OUT_DIR holds a few files, easy to copy back: the step logs, PyTorch's
# raw results and the tuning cache are packed in details.tar.gz.
# usage: tools/gpu_check.sh [OUT_DIR]
set -u
cd "$(dirname "$0")/.."
out=${1:-${OUT:-/tmp/gpu_check}}
mkdir -p "$out"
d=gpu-check
# The tuning cache (measured kernel variants, cuDNN algorithms) comes back
# with the results; section 2 fills it, section 3's auto runs reuse it.
export XDG_CACHE_HOME="$out/cache"
log() { echo; echo "=== $* (at ${SECONDS} s) ==="; }
deadline=${DEADLINE:-450}
# limit N: seconds for the next command, N at most, within the deadline
# (at least 1, so that a late command fails at once rather than not run).
limit() {
  local left=$((deadline - SECONDS))
  ((left < 1)) && left=1
  echo $((left < $1 ? left : $1))
}
run() { local n=$1; shift; timeout -k 5 "$(limit "$n")" "$@"; }
failed=0 verdicts=()
verdict() { # verdict SECTION PASS|FAIL|INFO WHY
  echo "verdict: $2 ($3)"
  verdicts+=("$1: $2 ($3)")
  [[ $2 == FAIL ]] && failed=$((failed + 1))
  return 0
}

log "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
# cuBLAS of the CUDA install, or PyTorch's copy of it.
for dir in /usr/local/cuda/lib64 /usr/local/cuda-*/lib64 \
           $(python3 -c 'import nvidia.cublas, os; print(os.path.dirname(nvidia.cublas.__file__) + "/lib")' 2>/dev/null); do
  if ls "$dir"/libcublas.so.13* >/dev/null 2>&1; then
    export LD_LIBRARY_PATH="$dir:${LD_LIBRARY_PATH:-}"; echo "cuBLAS from $dir"; break
  fi
done
# cuDNN likewise (PyTorch's wheel carries one).
if ! ls /usr/local/cuda/lib64/libcudnn.so.9* >/dev/null 2>&1; then
  dnn=$(python3 -c 'import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__) + "/lib")' 2>/dev/null)
  [[ -n "$dnn" ]] && export LD_LIBRARY_PATH="$dnn:$LD_LIBRARY_PATH" && echo "cuDNN from $dnn"
fi
# NCCL (opened by data-parallel runs only) likewise.
if ! ls /usr/local/cuda/lib64/libnccl.so.2* >/dev/null 2>&1; then
  nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) + "/lib")' 2>/dev/null)
  [[ -n "$nccl" ]] && export LD_LIBRARY_PATH="$nccl:$LD_LIBRARY_PATH" && echo "NCCL from $nccl"
fi
# What prepare_gpu_check.sh copied: Open MPI's libraries and the like.
export LD_LIBRARY_PATH="$PWD/$d/lib:$LD_LIBRARY_PATH"
torchlib=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__) + "/lib")' 2>/dev/null)
[[ -n "$torchlib" ]] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$torchlib"
if ldd $d/alexnet_train | grep "not found"; then echo "missing libraries"; fi

log "1. CUDA kernels against the CPU (AlexNet at batch 2)"
run 100 $d/alexnet_check --check-kernels > "$out/kernel_check.txt" 2>&1
check_rc=$?
tail -n 12 "$out/kernel_check.txt"
echo "-- again with --precision fp32 (no tensor cores: libraries within 1e-4)"
run 60 $d/alexnet_check --check-kernels --precision fp32 > "$out/kernel_check_fp32.txt" 2>&1
fp32_rc=$?
tail -n 3 "$out/kernel_check_fp32.txt"
echo "-- at the training batch (128) and workspace"
run 60 $d/alexnet_train --check-kernels > "$out/kernel_check_128.txt" 2>&1
train_rc=$?
tail -n 1 "$out/kernel_check_128.txt"
echo "-- a small graph: concats written in place, batch norm, residual adds"
run 40 $d/graph_check --check-kernels > "$out/kernel_check_graph.txt" 2>&1
graph_rc=$?
tail -n 1 "$out/kernel_check_graph.txt"
if [[ $check_rc -eq 0 && $fp32_rc -eq 0 && $train_rc -eq 0 && $graph_rc -eq 0 ]]; then
  verdict 1 PASS "every variant within tolerance at tf32 and fp32, at batch 128, and the graph's"
else
  verdict 1 FAIL "exit status $check_rc (tf32), $fp32_rc (fp32), $train_rc (batch 128), $graph_rc (graph)"
fi

log "2. AlexNet, the d2l chapter's 5 epochs on Fashion-MNIST (batch 128, --gemm auto)"
run 100 $d/alexnet_train --device cuda --data $d/data --epochs 5 \
  --log "$out/epochs.jsonl" --profile > "$out/epochs.txt" 2>&1
epochs_rc=$?
grep '^Epoch' "$out/epochs.txt"
grep -i 'error' "$out/epochs.txt" | head -n 3
acc=$(grep '^Epoch 4\.' "$out/epochs.txt" | sed -n 's/.*Test acc : \([0-9.]*\).*/\1/p')
echo "-- where the step's time goes (alexc --profile; PyTorch's: torch_profile.txt)"
sed -n '/^Per-kernel time/,/^Start-up timing/p' "$out/epochs.txt" | grep -v '^Start-up'
echo "(the start-up timing of each kernel variant: epochs.txt)"
if [[ $epochs_rc -eq 0 && -n "$acc" ]] && python3 -c "import sys; sys.exit(not $acc >= 0.86)"; then
  verdict 2 PASS "test accuracy $acc after 5 epochs, at least 0.86"
else
  verdict 2 FAIL "exit status $epochs_rc, test accuracy after 5 epochs '${acc:-none}' (wanted at least 0.86)"
fi

log "3. step time: alexc (generated, cublas, cudnn, auto) against PyTorch"
steps_rc=0
for gemm in generated cublas cudnn auto; do
  run 25 $d/alexnet_train --device cuda --data $d/data --steps 40 --quiet \
    --limit-test 128 --gemm $gemm --log "$out/steps_$gemm.jsonl" > /dev/null 2>&1 || steps_rc=$?
done
run 25 $d/alexnet_train --device cuda --data $d/data --steps 40 --quiet \
  --limit-test 128 --precision bf16 --log "$out/steps_bf16.jsonl" > /dev/null 2>&1 || steps_rc=$?
run 120 python3 tools/bench/gpu_vs_torch.py --profile "$out/torch_profile.txt" \
  > "$out/torch.json" 2> "$out/torch.err"
torch_rc=$?
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import json, statistics, sys, os
out = sys.argv[1]
def ours(gemm):
    p = os.path.join(out, f"steps_{gemm}.jsonl")
    if not os.path.exists(p):
        return None
    ms = [json.loads(l)["ms"] for l in open(p) if '"step"' in l][10:]
    return statistics.median(ms) if ms else None
try:
    torch = json.load(open(os.path.join(out, "torch.json")))
except Exception:
    torch = {}
rows = [("alexc, generated kernels", ours("generated")), ("alexc, cuBLAS", ours("cublas")),
        ("alexc, cuDNN convolutions", ours("cudnn")), ("alexc, --gemm auto", ours("auto")),
        ("alexc, auto, --precision bf16", ours("bf16")),
        ("PyTorch eager (cuDNN, TF32)", torch.get("eager_ms")),
        ("PyTorch torch.compile", torch.get("compile_ms"))]
best_torch = min([v for k, v in rows[5:] if v] or [float("nan")])
print(f"AlexNet training step, batch 128, on {torch.get('device', 'the GPU')} (torch {torch.get('torch', '?')})")
print(f"{'implementation':32} {'ms/step':>9} {'images/s':>10} {'vs best PyTorch':>16}")
for name, ms in rows:
    if ms is None:
        print(f"{name:32} {'n/a':>9}")
        continue
    print(f"{name:32} {ms:9.2f} {128 / ms * 1e3:10.0f} {best_torch / ms:15.2f}x")
for k in ("eager_error", "compile_error", "profile_error"):
    if k in torch:
        print(f"{k}: {torch[k]}")
compiled, auto = torch.get("compile_ms"), ours("auto")
if compiled and auto:
    print(f"alexc --gemm auto against torch.compile: {compiled / auto:.2f}x (the goal: 1.2x)")
PY
echo "-- PyTorch eager's kernels (torch_profile.txt)"
head -n 30 "$out/torch_profile.txt" 2>/dev/null | cut -c1-200
if [[ $steps_rc -eq 0 && $torch_rc -eq 0 ]]; then
  verdict 3 PASS "all runs finished; the table above"
else
  verdict 3 FAIL "an alexc run exited $steps_rc, the PyTorch benchmark $torch_rc (torch.err)"
fi
# 4. Only when prepare_gpu_check.sh was given BASELINE=REV: REV's kernels
#    against today's on this machine, interleaved, and both profiles.
if [[ -x $d/baseline_train ]]; then
  log "4. A/B on this machine: kernels of $(cat $d/baseline_rev 2>/dev/null) (baseline) against today's"
  ab=/tmp/gpu_check_ab
  mkdir -p $ab
  for round in 1 2 3; do
    for b in baseline_train alexnet_train; do
      XDG_CACHE_HOME=$ab/cache_$b run 30 $d/$b --device cuda --data $d/data \
        --steps 40 --quiet --limit-test 128 --gemm auto --log $ab/${b}_$round.jsonl > /dev/null 2>&1
    done
  done
  {
    python3 - $ab <<'PY'
import json, statistics, sys
ab = sys.argv[1]
for b in ("baseline_train", "alexnet_train"):
    rounds = []
    for r in (1, 2, 3):
        try:
            ms = [json.loads(l)["ms"] for l in open(f"{ab}/{b}_{r}.jsonl") if '"step"' in l][10:]
            rounds.append(f"{statistics.median(ms):.3f}")
        except Exception:
            rounds.append("n/a")
    print(f"{b:15} ms/step, median of steps 11-40, three interleaved rounds: {', '.join(rounds)}")
PY
    for b in baseline_train alexnet_train; do
      echo "--- $b --profile (train step)"
      XDG_CACHE_HOME=$ab/cache_$b run 30 $d/$b --device cuda --data $d/data --steps 12 \
        --quiet --limit-test 128 --gemm auto --profile 2>&1 | sed -n '/^train_step on/,/^graph replay/p'
    done
  } > "$out/ab.txt"
  head -n 2 "$out/ab.txt"
  echo "(both profiles: ab.txt)"
  verdict 4 INFO "timings only"
fi

log "5. data-parallel path on one GPU (NCCL, one rank) against the plain run"
for mode in plain nccl; do
  dp=0; [[ $mode == nccl ]] && dp=1
  ALEXC_DATA_PARALLEL=$dp run 30 $d/alexnet_train --device cuda --data $d/data \
    --steps 10 --no-shuffle --disable-dropout --gemm cublas --quiet --limit-test 128 \
    --log "$out/dp_$mode.jsonl" > "$out/dp_$mode.txt" 2>&1
  echo "$mode: exit status $?"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def read(mode):
    try:
        lines = [json.loads(l) for l in open(f"{out}/dp_{mode}.jsonl")]
    except Exception as e:
        return None, 0
    return [l["loss"] for l in lines if l["type"] == "step"], sum(l["type"] == "sync" for l in lines)
(plain, _), (nccl, syncs) = read("plain"), read("nccl")
if not plain or not nccl or len(plain) != len(nccl) or not syncs:
    print(f"steps {plain and len(plain)} and {nccl and len(nccl)}, sync lines {syncs}; see dp_nccl.txt")
    sys.exit(1)
worst = max(abs(a - b) / abs(a) for a, b in zip(plain, nccl))
print(f"losses: plain {plain[0]:.6f} .. {plain[-1]:.6f}, NCCL {nccl[0]:.6f} .. {nccl[-1]:.6f}; "
      f"largest relative difference {worst:.2e} ({syncs} sync lines)")
# GPU runs differ by atomics' order; a wrong divisor or a missing sum is far larger.
sys.exit(0 if worst < 1e-3 else 1)
PY
dp_rc=$?
grep -i "error" "$out/dp_nccl.txt" | head -n 3
if [[ $dp_rc -eq 0 ]]; then
  verdict 5 PASS "the NCCL path's losses equal the plain run's within 1e-3"
else
  verdict 5 FAIL "see above and dp_nccl.txt"
fi

log "6. --deterministic: two runs, and 10 steps + resume + 10 steps, bit for bit"
# The tuning cache (filled by the first run) makes every run choose the
# same variants and algorithms.
det=(--device cuda --data $d/data --no-shuffle --quiet --limit-test 128 --deterministic)
run 40 $d/alexnet_train "${det[@]}" --steps 20 --log "$out/det_a.jsonl" --save /tmp/det_a.safetensors > "$out/det.txt" 2>&1
rc_a=$?
run 25 $d/alexnet_train "${det[@]}" --steps 20 --log "$out/det_b.jsonl" --save /tmp/det_b.safetensors >> "$out/det.txt" 2>&1
rc_b=$?
run 25 $d/alexnet_train "${det[@]}" --steps 10 --save /tmp/det_half.safetensors >> "$out/det.txt" 2>&1
run 25 $d/alexnet_train "${det[@]}" --resume /tmp/det_half.safetensors --steps 20 \
  --save /tmp/det_resumed.safetensors >> "$out/det.txt" 2>&1
rc_r=$?
python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def steps(name):
    try:
        return [json.loads(l) for l in open(f"{out}/{name}.jsonl") if '"step"' in l]
    except Exception:
        return []
a, b, fast = steps("det_a"), steps("det_b"), steps("steps_auto")
same = bool(a) and [s["loss"] for s in a] == [s["loss"] for s in b]
print(f"losses of two runs {'identical' if same else 'DIFFER'} ({len(a)} and {len(b)} steps)")
if len(a) > 10 and len(fast) > 10:
    det_ms, fast_ms = statistics.median(s["ms"] for s in a[10:]), statistics.median(s["ms"] for s in fast[10:])
    print(f"cost: {det_ms:.2f} ms/step deterministic, {fast_ms:.2f} ms/step not ({det_ms / fast_ms:.2f}x)")
PY
if [[ $rc_a -eq 0 && $rc_b -eq 0 && $rc_r -eq 0 ]] &&
   cmp -s /tmp/det_a.safetensors /tmp/det_b.safetensors &&
   cmp -s /tmp/det_a.safetensors /tmp/det_resumed.safetensors &&
   [[ "$(grep -o '"loss": [^,]*' "$out/det_a.jsonl")" == "$(grep -o '"loss": [^,]*' "$out/det_b.jsonl")" ]]; then
  verdict 6 PASS "checkpoints of two runs and of a resumed run identical bit for bit"
else
  verdict 6 FAIL "exit status $rc_a, $rc_b, $rc_r; checkpoints or losses differ (det.txt)"
fi

echo
echo "=== verdicts (commit $(cat gpu-check/commit 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)) ==="
printf '%s\n' "${verdicts[@]}"
echo "gpu_check.sh took ${SECONDS} s (deadline ${deadline} s)"
(cd "$out" && tar czf details.tar.gz --remove-files -- *.jsonl dp_*.txt det.txt torch.json torch.err cache 2>/dev/null)
ls "$out"
exit $failed
