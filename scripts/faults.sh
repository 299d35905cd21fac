#!/usr/bin/env bash
# npm run test:faults: the fault matrix (test/faults/) on a stack of its own, never the shared services: PostgreSQL,
# Redis, Temporal and Kafka from scripts/infra.sh with their data under .data/faults (wiped first, so every run
# starts clean) and ports of their own, then the real API, worker, consumers and payment sandbox as child
# processes of the suite. The stack is stopped at the end, also on failure. Extra arguments go to vitest.
# Ports (override when taken): ALTIS_PG_PORT 15432, ALTIS_REDIS_PORT 16379, ALTIS_TEMPORAL_PORT 17233,
# ALTIS_TEMPORAL_UI_PORT 18233, ALTIS_KAFKA_PORT 19092, ALTIS_KAFKA_CONTROLLER_PORT 19093,
# ALTIS_FAULTS_API_PORT 18080, ALTIS_FAULTS_SANDBOX_PORT 18090.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;35m[faults]\033[0m %s\n' "$*"; }

export ALTIS_DATA_DIR=${ALTIS_FAULTS_DATA_DIR:-$ROOT/.data/faults}
export ALTIS_PG_PORT=${ALTIS_FAULTS_PG_PORT:-15432}
export ALTIS_REDIS_PORT=${ALTIS_FAULTS_REDIS_PORT:-16379}
export ALTIS_TEMPORAL_PORT=${ALTIS_FAULTS_TEMPORAL_PORT:-17233}
export ALTIS_TEMPORAL_UI_PORT=${ALTIS_FAULTS_TEMPORAL_UI_PORT:-18233}
export ALTIS_KAFKA_PORT=${ALTIS_FAULTS_KAFKA_PORT:-19092}
export ALTIS_KAFKA_CONTROLLER_PORT=${ALTIS_FAULTS_KAFKA_CONTROLLER_PORT:-19093}
export ALTIS_FAULTS_API_PORT=${ALTIS_FAULTS_API_PORT:-18080}
export ALTIS_FAULTS_SANDBOX_PORT=${ALTIS_FAULTS_SANDBOX_PORT:-18090}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The suite's own Altis processes (their pid files; nothing else is signalled), then the infrastructure.
stop_stack() {
  local f
  for f in "$ALTIS_DATA_DIR"/app-*.pid; do
    [ -f "$f" ] || continue
    kill -CONT "$(cat "$f")" 2>/dev/null || true
    kill -KILL "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  bash scripts/infra.sh stop >/dev/null 2>&1 || true
}

# A stack left by an interrupted run is stopped (same data dir, same ports) before the data is wiped.
stop_stack
for p in $ALTIS_PG_PORT $ALTIS_REDIS_PORT $ALTIS_TEMPORAL_PORT $ALTIS_TEMPORAL_UI_PORT $ALTIS_KAFKA_PORT \
  $ALTIS_KAFKA_CONTROLLER_PORT $ALTIS_FAULTS_API_PORT $ALTIS_FAULTS_SANDBOX_PORT; do
  if port_open "$p"; then
    echo "[faults] port $p is taken; choose free ones with the ALTIS_FAULTS_*_PORT variables (see this script)" >&2
    exit 1
  fi
done
rm -rf "$ALTIS_DATA_DIR"
trap 'say "stopping the fault stack"; stop_stack' EXIT
trap 'exit 130' INT TERM

bash scripts/deps.sh
say "starting the fault stack in $ALTIS_DATA_DIR (postgres :$ALTIS_PG_PORT, redis :$ALTIS_REDIS_PORT, temporal :$ALTIS_TEMPORAL_PORT, kafka :$ALTIS_KAFKA_PORT)"
bash scripts/infra.sh start
say "running the fault matrix"
status=0
npx vitest run --config vitest.faults.config.ts "$@" || status=$?
[ -f "$ALTIS_DATA_DIR/fault-matrix.txt" ] && cat "$ALTIS_DATA_DIR/fault-matrix.txt"
say "process logs: $ALTIS_DATA_DIR/logs/app-*.log"
exit $status
