#!/usr/bin/env bash
# npm run doctor: what this clone needs and uses, one line each — the prerequisites with their versions, then each
# service with its version, port, owner (own / shared, from .data/services.env), data directory and health, and a
# hint under every line that is wrong. Changes nothing. Exits 1 when something is wrong.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DATA=${ALTIS_DATA_DIR:-$ROOT/.data}
CACHE=${ALTIS_CACHE_DIR:-$HOME/.cache/altis}
SERVICES_ENV=$DATA/services.env
TEMPORAL_BIN=$CACHE/temporal-1.5.1/temporal
KAFKA_JAR=$CACHE/kafka-3.9.1/libs/kafka_2.13-3.9.1.jar

saved() { if [ -f "$SERVICES_ENV" ]; then sed -n "s/^$1=//p" "$SERVICES_ENV" | tail -n 1; fi; }
setting() { local v=${!1:-}; [ -n "$v" ] || v=$(saved "$1"); echo "${v:-$2}"; }
PG_PORT=$(setting ALTIS_PG_PORT 5432)
REDIS_PORT=$(setting ALTIS_REDIS_PORT 6379)
TEMPORAL_PORT=$(setting ALTIS_TEMPORAL_PORT 7233)
TEMPORAL_UI_PORT=$(setting ALTIS_TEMPORAL_UI_PORT 8233)
KAFKA_PORT=$(setting ALTIS_KAFKA_PORT 9092)
DB_URL=$(setting APP_DATABASE__URL postgres://altis:altis@127.0.0.1:5432/altis)
REDIS_URL=$(setting APP_REDIS__URL redis://127.0.0.1:6379/0)
API_PORT=${APP_SERVER__PORT:-8080}

problems=0
ok() { printf '  \033[32mok\033[0m   %-13s %s\n' "$1" "$2"; }
bad() {
  printf '  \033[31mFIX\033[0m  %-13s %s\n' "$1" "$2"
  printf '       %-13s → %s\n' '' "$3"
  problems=$((problems + 1))
}
info() { printf '  \033[36m--\033[0m   %-13s %s\n' "$1" "$2"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# version_at_least <have> <want>: dotted versions compared numerically.
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# prereq <name> <minimum> <version command> <hint>
prereq() {
  local name=$1 min=$2 cmd=$3 hint=$4 v
  if ! command -v "$name" >/dev/null; then
    bad "$name" "missing (needed: $min or later)" "$hint"
    return
  fi
  v=$(eval "$cmd" 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n 1)
  if [ -n "$min" ] && ! version_at_least "${v:-0}" "$min"; then
    bad "$name" "$v (needed: $min or later)" "$hint"
  else
    ok "$name" "${v:-?} ($(command -v "$name"))"
  fi
}

echo "Altis doctor — clone $ROOT"
echo "prerequisites"
prereq node 20.19.0 'node --version' 'install Node 20.19+ (https://nodejs.org or your package manager)'
prereq npm 9 'npm --version' 'comes with Node'
prereq go 1.23 'go version' 'install Go (https://go.dev/dl/): scripts/infra.sh builds the Temporal CLI with it'
prereq java 17 'java -version 2>&1' 'apt-get install openjdk-17-jre-headless (Kafka runs on it)'
prereq mvn 3.6 'mvn -v' 'apt-get install maven (resolves Kafka from Maven Central)'
prereq psql 15 'psql --version' 'apt-get install postgresql (npm start does it when missing)'
prereq redis-server 7 'redis-server --version' 'apt-get install redis-server (npm start does it when missing)'
prereq curl '' 'curl --version' 'apt-get install curl (the README guides use it)'
prereq jq 1.6 'jq --version' 'apt-get install jq / brew install jq (the README guides print ids with it)'
prereq chromium 100 'chromium --version' 'apt-get install chromium (npm test does it when missing: the browser tests drive it)'
if [ -d node_modules ]; then ok node_modules "installed"; else bad node_modules "missing" "npm start or npm test installs them (scripts/deps.sh)"; fi
if [ -x "$TEMPORAL_BIN" ]; then ok temporal-cli "1.5.1, $("$TEMPORAL_BIN" --version 2>/dev/null | grep -o '(Server.*)' | tr -d '()') ($TEMPORAL_BIN)"; else bad temporal-cli "not built" "npm start builds it (scripts/infra.sh install, a few minutes the first time)"; fi
if [ -f "$KAFKA_JAR" ]; then ok kafka-jars "3.9.1 ($(dirname "$KAFKA_JAR"))"; else bad kafka-jars "not resolved" "npm start resolves them from Maven Central (scripts/infra.sh install)"; fi

echo "services (chosen by scripts/infra.sh start: ${SERVICES_ENV/#$ROOT\//}$([ -f "$SERVICES_ENV" ] || echo ', not written yet'))"
mode() { local m; m=$(saved "ALTIS_$1_MODE"); echo "${m:-not started by this clone}"; }
START_HINT="npm start (or npm run infra:up) starts it; logs in $DATA/logs"

# postgres
pg_db=${DB_URL##*/}
if out=$(PGCONNECT_TIMEOUT=3 psql "$DB_URL" -XAtqc "SHOW server_version" 2>&1); then
  ok postgres "PostgreSQL ${out%% *} on :$PG_PORT, database $pg_db, $(mode PG)$([ "$(saved ALTIS_PG_MODE)" = own ] && echo ", data $DATA/postgres")"
elif port_open "$PG_PORT"; then
  bad postgres ":$PG_PORT answers but not as $DB_URL ($(head -n 1 <<<"$out" | sed 's/^psql: error: //'))" \
    "npm run infra:up decides again: it uses that server only if compatible, else starts this clone's own on a free port"
else
  bad postgres "nothing on :$PG_PORT" "$START_HINT"
fi

# redis
redis_db=${REDIS_URL##*/}
if [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]; then
  ok redis "Redis $(redis-cli -u "$REDIS_URL" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p') on :$REDIS_PORT, database $redis_db (tests $(setting ALTIS_TEST_REDIS_DB 1)), $(mode REDIS)"
else
  bad redis "no PONG from $REDIS_URL" "$START_HINT"
fi

# temporal
if [ -x "$TEMPORAL_BIN" ] && "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING; then
  ok temporal "dev server on :$TEMPORAL_PORT, Web UI http://localhost:$TEMPORAL_UI_PORT, task queue $(setting APP_TEMPORAL__TASK_QUEUE altis-orders), $(mode TEMPORAL)$([ "$(saved ALTIS_TEMPORAL_MODE)" = own ] && echo ", data $DATA/temporal")"
else
  bad temporal "not SERVING on :$TEMPORAL_PORT" "$START_HINT"
fi

# kafka
if port_open "$KAFKA_PORT"; then
  ok kafka "broker on :$KAFKA_PORT, topic prefix $(setting APP_KAFKA__TOPIC_PREFIX altis.), $(mode KAFKA)$([ "$(saved ALTIS_KAFKA_MODE)" = own ] && echo ", data $DATA/kafka")"
else
  bad kafka "nothing on :$KAFKA_PORT" "$START_HINT"
fi

# the API, when npm start runs
if health=$(curl -s -m 3 "http://127.0.0.1:$API_PORT/health" 2>/dev/null) && [ -n "$health" ]; then
  if [ "$(jq -r .status <<<"$health" 2>/dev/null)" = ok ]; then
    ok api "http://localhost:$API_PORT/health: ok"
  else
    bad api "http://localhost:$API_PORT/health: $(jq -c '.dependencies | with_entries(select(.value.status != "up"))' <<<"$health" 2>/dev/null || echo "$health")" \
      "the dependency named is down: see its line above"
  fi
else
  info api "not running on :$API_PORT (npm start runs it)"
fi

if [ "$problems" -eq 0 ]; then echo "all good"; else echo "$problems to fix (→ says how)"; fi
[ "$problems" -eq 0 ]
