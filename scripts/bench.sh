#!/usr/bin/env bash
# npm run bench: makes sure the services are up (scripts/infra.sh start: this clone's own, or compatible ones it
# shares, written to .data/services.env), creates the bench's own database when missing (through the postgres user
# in this clone's own cluster, as the configured role on a shared one), then runs bench/run.ts, which migrates and seeds
# it, starts its own payment sandbox, worker and API as child processes, measures, cleans up, and appends its
# figures to bench/RESULTS.md. Bounded: bench/run.ts gives up after BENCH_TIMEOUT_S (450 s). Arguments go to
# bench/run.ts: `npm run bench -- request-path` measures only the request path (bench/request-path.ts), quickly.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

BENCH_DATABASE=${BENCH_DATABASE:-altis_bench}
[[ $BENCH_DATABASE =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "BENCH_DATABASE: not a plain database name" >&2; exit 1; }
SERVICES_ENV=${ALTIS_DATA_DIR:-$ROOT/.data}/services.env
saved() { if [ -f "$SERVICES_ENV" ]; then sed -n "s/^$1=//p" "$SERVICES_ENV" | tail -n 1; fi; }

# Installs what is missing and starts (or finds) the services: idempotent, about a second when they are up.
ALTIS_INSTALL_NPM=1 bash scripts/infra.sh start
PG_PORT=$(saved ALTIS_PG_PORT)
PG_PORT=${PG_PORT:-5432}
PG_SOCKET_DIR=${ALTIS_DATA_DIR:-$ROOT/.data}/postgres-run
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ "$(saved ALTIS_PG_MODE)" = own ] && [ -S "$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT" ]; then
  psql=(runuser -u postgres -- "$pg_bin/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
else
  # A shared server (scripts/infra.sh): the configured role, which may create databases there.
  psql=(env PGPASSWORD=altis "$pg_bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U altis -d postgres -v ON_ERROR_STOP=1 -qtA)
fi
if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DATABASE'")" ]; then
  say "creating database $BENCH_DATABASE"
  "${psql[@]}" -c "CREATE DATABASE $BENCH_DATABASE OWNER altis" >/dev/null
fi

say "running the benchmark (bench/run.ts, database $BENCH_DATABASE)"
export BENCH_DATABASE
exec node --import tsx bench/run.ts "$@"
