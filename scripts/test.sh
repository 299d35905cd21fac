#!/usr/bin/env bash
# npm test: brings up the real services the tests need (idempotent), then runs every test with vitest.
# Extra arguments go to vitest, e.g. `npm test -- test/unit`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

bash scripts/deps.sh
bash scripts/infra.sh start
say "running the tests (vitest; database altis_test, redis db 1)"
npx vitest run "$@"
# Tests that change shared state (the Kafka outage test stops the broker for 30 s; the admin test changes the
# bundles and pricing rules) run alone, after everything else, on full runs (vitest.config.ts, SERIAL_TESTS).
if [ $# -eq 0 ]; then
  say "running the tests that change shared state, one at a time (the Kafka outage test stops the broker for 30 s)"
  npx vitest run --config vitest.serial.config.ts
fi
