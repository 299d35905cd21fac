#!/usr/bin/env bash
# npm start: installs what is missing (npm dependencies, Debian packages, the Temporal CLI, the Kafka jars, all at
# once), brings up the infrastructure (scripts/infra.sh: this clone's own services, or compatible ones already
# running), migrates and seeds, then runs the payment sandbox, a local SMTP sink (mails land in .data/mail/), the
# worker (with the outbox relay), the event consumers and the API in the foreground with readable logs, and says
# when GET /health answers. Ctrl-C stops these processes (the services keep running; `npm run infra:down` stops
# them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$SECONDS

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

ALTIS_INSTALL_NPM=1 bash scripts/infra.sh start
services_env=${ALTIS_DATA_DIR:-$ROOT/.data}/services.env
ui_url=$(sed -n 's/^APP_TEMPORAL__WEB_UI_URL=//p' "$services_env")
api_port=${APP_SERVER__PORT:-8080}

export APP_LOG__PRETTY=${APP_LOG__PRETTY:-true}
pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}" ${seed_pid:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# run <name> <command...>: runs a process in the background with its name before each line of its output ($! is the
# process itself, so that cleanup stops it and not only a pipeline around it).
run() {
  local name=$1
  shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

say "building the web app (web/ → web/dist, served at /)"
node --import tsx scripts/build-web.ts
say "migrating the database"
node --import tsx scripts/db.ts migrate
# The processes need the schema only: they boot while the schedule is seeded.
# The API first and at full priority: on two cores the six processes booting at once would otherwise delay
# GET /health by the others' start-up work.
run api node --import tsx api/main.ts
nice -n 5 node --import tsx scripts/db.ts seed & # its lines say [seed] themselves
seed_pid=$!
run worker nice -n 5 node --import tsx worker/main.ts
run gateway nice -n 5 node --import tsx payments-sandbox/main.ts
run consumers nice -n 5 node --import tsx consumers/main.ts
run smtp nice -n 5 node --import tsx scripts/smtp-sink.ts

(
  for ((i = 0; i < 240; i++)); do
    if ! kill -0 "$seed_pid" 2>/dev/null &&
      [ "$(curl -s -m 2 "http://127.0.0.1:$api_port/health" | jq -r .status 2>/dev/null)" = ok ]; then
      say "healthy in $((SECONDS - T0))s: API on http://localhost:$api_port, Temporal Web UI on ${ui_url:-http://localhost:8233} (Ctrl-C stops)"
      exit 0
    fi
    sleep 0.5
  done
  say "GET /health did not answer ok (or the seed did not end) within 120 s: see the [api] lines above, or npm run doctor"
) &
wait -n "${pids[@]}"
