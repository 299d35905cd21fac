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
# The Kafka outage test stops the shared broker for 30 s, so it runs alone, after everything else (full runs only).
if [ $# -eq 0 ]; then
  say "running the Kafka outage test on its own (stops the broker for 30 s)"
  npx vitest run --config vitest.outage.config.ts
fi
