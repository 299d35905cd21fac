#!/usr/bin/env bash
# npm start: brings up the infrastructure, migrates, seeds, then runs the payment sandbox, a local SMTP sink
# (mails land in .data/mail/), the worker (with the outbox relay), the event consumers and the API in the
# foreground with readable logs. Ctrl-C stops these processes (the services keep running;
# `npm run infra:down` stops them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

bash scripts/deps.sh
bash scripts/infra.sh start
say "migrating the database"
npx tsx scripts/migrate.ts
if [ -f scripts/seed.ts ]; then
  say "seeding reference data and the flight schedule"
  npx tsx scripts/seed.ts
fi

export APP_LOG__PRETTY=${APP_LOG__PRETTY:-true}
pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# run <name> <command...>: runs a process with its name before each line of output.
run() {
  local name=$1
  shift
  ( "$@" 2>&1 | sed -u "s/^/[$name] /" ) &
  pids+=($!)
}

[ -f payments-sandbox/main.ts ] && run gateway npx tsx payments-sandbox/main.ts
run smtp npx tsx scripts/smtp-sink.ts
run worker npx tsx worker/main.ts
run consumers npx tsx consumers/main.ts
run api npx tsx api/main.ts
say "API on http://localhost:${APP_SERVER__PORT:-8080}, Temporal Web UI on http://localhost:8233 (Ctrl-C stops)"
wait -n
