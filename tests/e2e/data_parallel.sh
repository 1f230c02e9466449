#!/usr/bin/env bash
# Data-parallel training over MPI on the real data, against one process:
# 4 steps of LeNet on 2 ranks and on 3 (uneven shares of its 64 rows; also
# in a step built for 2, padded), and of AlexNet at batch 8 on 2 ranks
# (dropout on: masks follow the global row), losses within 1e-5 relative
# and checkpoints within 1e-5 (2-norm per tensor; over all tensors for
# AlexNet, compare_checkpoints.py says why); a 2-rank checkpoint resumed on
# one rank; one process on the data-parallel path (the gradient hooks, the
# loss's global divisor); a step too small for the ranks; a killed rank
# stops the other
# with an error. Skipped (77) without mpirun or an MPI build.
# usage: data_parallel.sh ALEXC MODELS_DIR PYTHON WORKDIR
set -u
alexc=$1 models=$2 python=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
command -v mpirun >/dev/null || { echo "no mpirun: skipped"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
set -e
mpi=(mpirun --allow-run-as-root --oversubscribe)
common=(--no-shuffle --limit-test 64 --quiet)

# losses A.jsonl B.jsonl: every step's loss within 1e-5 relative.
losses() {
  "$python" - "$1" "$2" <<'PY'
import json, sys
def steps(p):
    return [json.loads(l)["loss"] for l in open(p) if '"type": "step"' in l]
a, b = steps(sys.argv[1]), steps(sys.argv[2])
assert len(a) == len(b) == 4, (len(a), len(b))
worst = max(abs(x - y) / abs(x) for x, y in zip(a, b))
print(f"losses {a}; largest relative difference {worst:.3g}")
sys.exit(0 if worst <= 1e-5 else 1)
PY
}

"$alexc" "$models/lenet.json" --target cpu -o lenet1
"$alexc" "$models/lenet.json" --target cpu --ranks 2 -o lenet2
"$alexc" "$models/lenet.json" --target cpu --ranks 3 -o lenet3
if ! ldd lenet2 | grep -q libmpi; then
  echo "alexc was built without MPI: skipped"; exit 77
fi
./lenet1 --steps 4 "${common[@]}" --log one.jsonl --save one.safetensors
for run in 2:2 3:3 3:2; do
  n=${run%:*} exe=lenet${run#*:}
  echo "LeNet, $n ranks, $exe:"
  "${mpi[@]}" -np $n ./$exe --steps 4 "${common[@]}" --log r$n$exe.jsonl \
    --save r$n$exe.safetensors
  losses one.jsonl r$n$exe.jsonl
  "$python" "$here/compare_checkpoints.py" one.safetensors r$n$exe.safetensors 1e-5
done

echo "LeNet, 1 rank on the data-parallel path (ALEXC_DATA_PARALLEL=1):"
ALEXC_DATA_PARALLEL=1 ./lenet1 --steps 4 "${common[@]}" --log forced.jsonl \
  --save forced.safetensors
grep -q '"type": "sync"' forced.jsonl
losses one.jsonl forced.jsonl
"$python" "$here/compare_checkpoints.py" one.safetensors forced.safetensors 1e-6

echo "resumed with another number of ranks (2 steps on 2, then 2 on 1):"
"${mpi[@]}" -np 2 ./lenet2 --steps 2 "${common[@]}" --save half.safetensors
./lenet1 --resume half.safetensors --steps 4 "${common[@]}" --save resumed.safetensors
"$python" "$here/compare_checkpoints.py" one.safetensors resumed.safetensors 1e-5

echo "an executable whose step is too small for the ranks says so:"
set +e
"${mpi[@]}" -np 2 ./lenet3 --steps 1 "${common[@]}" > small.out 2>&1; rc=$?
set -e
[[ $rc -ne 0 ]]
grep "error: 2 ranks take up to 32 of the 64 rows of a step each, but this executable's step takes 22: build it with alexc --ranks 2" small.out

echo "AlexNet at batch 8, 2 ranks, dropout on:"
"$alexc" "$models/alexnet.json" --target cpu --batch-size 8 -o alex1
"$alexc" "$models/alexnet.json" --target cpu --batch-size 8 --ranks 2 -o alex2
./alex1 --steps 4 "${common[@]}" --threads 2 --log a1.jsonl --save a1.safetensors
"${mpi[@]}" -np 2 ./alex2 --steps 4 "${common[@]}" --threads 1 --log a2.jsonl \
  --save a2.safetensors
losses a1.jsonl a2.jsonl
"$python" "$here/compare_checkpoints.py" a1.safetensors a2.safetensors 1e-5 --whole

echo "a killed rank stops the other:"
"${mpi[@]}" -np 2 ./lenet2 --steps 100000 "${common[@]}" > killed.out 2>&1 &
launcher=$!
victim=""
for _ in $(seq 100); do
  for p in $(pgrep -f "lenet2 --steps 100000"); do
    if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then
      victim=$p
    fi
  done
  [[ -n "$victim" ]] && break
  sleep 0.1
done
[[ -n "$victim" ]] || { echo "rank 1 did not start"; kill $launcher; exit 1; }
sleep 1
kill -9 "$victim"
set +e
timeout 60 bash -c "wait $launcher" 2>/dev/null
for _ in $(seq 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
if kill -0 $launcher 2>/dev/null; then
  echo "mpirun still runs a minute after rank 1 was killed"; kill -9 $launcher; exit 1
fi
wait $launcher; rc=$?
set -e
echo "mpirun exited with $rc:"; tail -5 killed.out
[[ $rc -ne 0 ]]
if pgrep -f "lenet2 --steps 100000" >/dev/null; then
  echo "a rank outlived the run"; exit 1
fi
echo "data-parallel: all checks passed"
