#!/usr/bin/env bash
# Measures `npm start` on a simulated fresh machine, then a second (warm) start: an empty HOME (npm cache,
# ~/.cache/altis, ~/.m2), empty Go caches, a copy of this clone without node_modules in $1 (default
# /tmp/altis-cold), ports nobody uses. The Debian packages cannot be removed from a machine whose other services use
# them: a download-only reinstall of the same packages into an empty archive directory runs alongside as a stand-in
# for their traffic. Prints the figures (and the load average, which decides them on a shared machine) and stops
# everything it started. The Go build keeps both cores busy for minutes: run it rarely.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
C=${1:-/tmp/altis-cold}
rm -rf "$C" && mkdir -p "$C/home" "$C/go" "$C/apt/partial" "$C/clone"
(cd "$ROOT" && git ls-files -co --exclude-standard | grep -v '^node_modules' | tar -cf - -T -) | tar -C "$C/clone" -xf -
# The machine's npm configuration is not a cache: a fresh machine of this kind has it too (here `nodedir=/usr`, so
# node-gyp builds native modules against the installed headers instead of downloading them).
[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$C/home/.npmrc"
export HOME=$C/home GOPATH=$C/go GOMODCACHE=$C/go/pkg/mod GOCACHE=$C/gocache NPM_CONFIG_CACHE=$C/home/.npm
export ALTIS_PG_PORT=25432 ALTIS_REDIS_PORT=26379 ALTIS_TEMPORAL_PORT=27233 ALTIS_KAFKA_PORT=29092
export APP_SERVER__PORT=28080 APP_PAYMENTS__GATEWAY_URL=http://127.0.0.1:28090 APP_SMTP__PORT=22525
export APP_METRICS__WORKER_PORT=0 APP_METRICS__TEMPORAL_PORT=0
cd "$C/clone"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
(
  t=$SECONDS
  apt-get install -y -qq --download-only --reinstall -o Dir::Cache::archives="$C/apt" \
    postgresql-15 postgresql-client-15 redis-server redis-tools >"$C/apt.log" 2>&1
  echo "apt download stand-in: $((SECONDS - t))s, $(du -sh "$C/apt" | cut -f1)"
) &
measure() {
  local name=$1 log=$C/start-$1.log
  bash scripts/start.sh >"$log" 2>&1 &
  local pid=$!
  until grep -q 'healthy in' "$log" || ! kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  echo "$name start: $(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -o 'healthy in [0-9]*s' || echo 'did not become healthy'), load $(cut -d' ' -f1-3 /proc/loadavg)"
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\[infra\] [a-z]+: done|installed in|services up|^\[db\]|^\[seed\]' | sed 's/^/    /'
  kill -TERM "$pid" # a background job ignores SIGINT
  wait "$pid"
}
measure first
measure second
wait
bash scripts/infra.sh stop >/dev/null 2>&1
