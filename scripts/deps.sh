#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing: `npm ci` where it can, else `npm install` against
# the committed lock. The registry this machine kind reaches serves only this platform's optional binaries
# (@swc/core-darwin-*, -win32-*, …), so npm cannot record them in package-lock.json, and `npm ci` then refuses
# the lock as "out of sync"; `npm install` accepts it and leaves it unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] && exit 0
echo "[deps] installing npm dependencies"
if ! npm ci --no-audit --no-fund >.npm-ci.log 2>&1; then
  echo "[deps] npm ci refused the lock (see .npm-ci.log); installing from it with npm install"
  npm install --no-audit --no-fund
fi
rm -f .npm-ci.log
