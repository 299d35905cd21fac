#!/usr/bin/env bash
# npm run test:repeat -- N: runs the whole suite (npm test: the parallel group, then the serial one) N times in a
# row and prints each run's failures, then a summary. Exits non-zero when any run failed. Logs: .data/test-repeat/.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-5}
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || { echo "usage: npm run test:repeat -- N (a whole number ≥ 1)" >&2; exit 2; }
LOGS=$ROOT/.data/test-repeat
mkdir -p "$LOGS"
say() { printf '\033[1;32m[repeat]\033[0m %s\n' "$*"; }
failed_runs=0
summary=()
for ((i = 1; i <= N; i++)); do
  log=$LOGS/run-$i.log
  say "run $i of $N (log: $log)"
  started=$(date +%s)
  bash scripts/test.sh >"$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - started))
  # vitest's summary lines and the names of failed tests, without colours
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  tests=$(grep -E '^\s+Tests ' <<<"$clean" | sed 's/^ *//' | paste -sd ';' -)
  if [ "$rc" -eq 0 ]; then
    summary+=("run $i: green in ${secs}s ($tests)")
  else
    failed_runs=$((failed_runs + 1))
    summary+=("run $i: FAILED (exit $rc) in ${secs}s ($tests)")
    say "run $i failed:"
    grep -E '^ *(FAIL|×)|Error:|global teardown' <<<"$clean" | sed 's/^/    /' | head -40
  fi
done
say "summary"
printf '  %s\n' "${summary[@]}"
say "$((N - failed_runs)) of $N runs green"
[ "$failed_runs" -eq 0 ]
