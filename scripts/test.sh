#!/usr/bin/env bash
# npm test: installs what is missing and brings up the real services the tests need (scripts/infra.sh, idempotent),
# then runs every test with vitest. Extra arguments go to vitest, e.g. `npm test -- test/unit`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1;32m[altis]\033[0m %s\n' "$*"; }

ALTIS_INSTALL_NPM=1 bash scripts/infra.sh start
# Schemathesis (the schema-based fuzzer of test/integration/schemathesis*.test.ts), cached in ~/.cache/altis.
say "schemathesis: $(bash scripts/schemathesis.sh)"
# Full runs first check what ships: the npm lock on three platforms, npm run build, Docker, the Helm chart
# (scripts/deploy-check.sh: a minute or two once its tools are cached).
if [ $# -eq 0 ]; then
  say "checking the deployment (scripts/deploy-check.sh)"
  bash scripts/deploy-check.sh
fi
# This clone's test database and Redis db, as scripts/infra.sh chose them (test/env.ts reads the same file).
services_env=${ALTIS_DATA_DIR:-$ROOT/.data}/services.env
test_db=${ALTIS_TEST_DB:-$(sed -n 's/^ALTIS_TEST_DB=//p' "$services_env")}
test_redis=${ALTIS_TEST_REDIS_DB:-$(sed -n 's/^ALTIS_TEST_REDIS_DB=//p' "$services_env")}
say "running the tests (vitest; database ${test_db:-altis_test}, redis db ${test_redis:-1})"
npx vitest run "$@"
# Tests that change shared state (the Kafka outage test stops the broker for 30 s; the admin test changes the
# bundles and pricing rules; the README guides book on the seeded schedule) run alone, after everything else, on
# full runs (vitest.config.ts, SERIAL_TESTS).
if [ $# -eq 0 ]; then
  say "running the tests that change shared state, one at a time (the Kafka outage test stops the broker for 30 s)"
  npx vitest run --config vitest.serial.config.ts
  # The fault matrix: the real processes on a stack of its own (its own ports and data), eight faults mid-traffic.
  say "running the fault matrix (npm run test:faults: its own stack, eight faults injected mid-traffic)"
  bash scripts/faults.sh
fi
