#!/usr/bin/env bash
# npm run bench: makes sure the services are up (scripts/infra.sh start, only when one is not answering: a checkout
# that did not start them, such as a git worktree, has none of their pid files), creates the bench's own database
# when missing (as scripts/infra.sh does, through the postgres user), then runs bench/run.ts, which migrates and seeds
# it, starts its own payment sandbox, worker and API as child processes, measures, cleans up, and appends its
# figures to bench/RESULTS.md. Bounded: bench/run.ts gives up after BENCH_TIMEOUT_S (290 s). Arguments go to
# bench/run.ts: `npm run bench -- request-path` measures only the request path (bench/request-path.ts), quickly.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

BENCH_DATABASE=${BENCH_DATABASE:-altis_bench}
[[ $BENCH_DATABASE =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "BENCH_DATABASE: not a plain database name" >&2; exit 1; }
PG_PORT=${ALTIS_PG_PORT:-5432}
PG_SOCKET_DIR=${ALTIS_DATA_DIR:-$ROOT/.data}/postgres-run

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

bash scripts/deps.sh
if port_open "$PG_PORT" && port_open "${ALTIS_REDIS_PORT:-6379}" && port_open "${ALTIS_TEMPORAL_PORT:-7233}" &&
  port_open "${ALTIS_KAFKA_PORT:-9092}"; then
  say "services answering; leaving them as they are"
else
  bash scripts/infra.sh start
fi

if [ -S "$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT" ]; then
  psql=("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres
    -v ON_ERROR_STOP=1 -qtA)
  if [ -z "$(runuser -u postgres -- "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DATABASE'")" ]; then
    say "creating database $BENCH_DATABASE"
    runuser -u postgres -- "${psql[@]}" -c "CREATE DATABASE $BENCH_DATABASE OWNER altis" >/dev/null
  fi
else
  # PostgreSQL was started from another checkout (set ALTIS_DATA_DIR to its .data to let this create the database).
  say "no PostgreSQL socket in $PG_SOCKET_DIR: assuming database $BENCH_DATABASE exists (bench/run.ts says if not)"
fi

say "running the benchmark (bench/run.ts, database $BENCH_DATABASE)"
export BENCH_DATABASE
exec node --import tsx bench/run.ts "$@"
