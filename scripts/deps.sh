#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing, with `npm ci` from the committed lock. The lock
# carries every platform's optional packages (esbuild, rolldown, swc, lightningcss, … binaries), so `npm ci`
# accepts it on Linux, macOS and Windows (scripts/deploy-check.sh checks all three); it is never rewritten here:
# an install that would change it fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] && exit 0
echo "[deps] installing npm dependencies (npm ci)"
if ! npm ci --no-audit --no-fund >.npm-ci.log 2>&1; then
  tail -n 30 .npm-ci.log >&2
  echo "[deps] npm ci refused package-lock.json (log: .npm-ci.log); run npm install, commit the lock it writes" >&2
  exit 1
fi
rm -f .npm-ci.log
