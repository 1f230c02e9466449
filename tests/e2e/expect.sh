# expect RC PATTERN -- COMMAND...: runs COMMAND and checks that it exits
# with RC and prints a line matching the extended regex PATTERN (stdout or
# stderr); prints "ok: <that line>" or "FAIL: ..." and counts failures in
# $failures. Sourced by the error tests.
failures=0
expect() {
  local rc=$1 pattern=$2; shift 3
  local out; out=$("$@" 2>&1); local got=$?
  if [[ $got -ne $rc ]] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: $* -> exit $got, expected $rc and /$pattern/"; echo "$out" | tail -3
    failures=$((failures + 1))
  else
    echo "ok: $(grep -E -m1 -- "$pattern" <<<"$out")"
  fi
}
