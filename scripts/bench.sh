#!/usr/bin/env bash
# npm run bench: brings up the services (idempotent), migrates, then runs bench/run.ts, which seeds what it needs,
# starts its own payment sandbox, worker and API as child processes, measures, cleans up, and appends its figures
# to bench/RESULTS.md. Bounded: bench/run.ts gives up after BENCH_TIMEOUT_S (290 s). Extra arguments are ignored.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

bash scripts/deps.sh
bash scripts/infra.sh start
say "migrating the database"
npx tsx scripts/migrate.ts
say "running the benchmark (bench/run.ts)"
exec node --import tsx bench/run.ts
