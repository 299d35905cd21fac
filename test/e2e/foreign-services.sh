#!/usr/bin/env bash
# The scenario of test/e2e/foreign-services.test.ts, run inside a network namespace of its own (unshare --net), so
# that its default ports are free whatever this machine runs:
#   1. a PostgreSQL and a Redis that are not Altis's take 5432 and 6379 (with data of their own);
#   2. clone A runs `npm start` (scripts/start.sh) until it says healthy;
#   3. clone B runs `scripts/infra.sh start` next to it;
#   4. A's tests, then B's, each a vitest run (its global setup migrates and seeds its test database).
# Prints `RESULT <key> <value>` lines for the test to check, and stops everything it started on exit.
# Usage: foreign-services.sh <repo> <work dir>
set -uo pipefail
REPO=$1
W=$2
ip link set lo up
chmod 755 "$W" # the postgres user initialises clusters below it

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
result() { echo "RESULT $1 $2"; }
log() { echo "[scenario] $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_pid=

cleanup() {
  log "cleaning up"
  if [ -n "$start_pid" ]; then
    kill -TERM "$start_pid" 2>/dev/null # a background job ignores SIGINT
    wait "$start_pid" 2>/dev/null
  fi
  for c in b a; do [ -d "$W/$c" ] && (cd "$W/$c" && bash scripts/infra.sh stop >/dev/null 2>&1); done
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$W/foreign-pg" -m immediate -w stop >/dev/null 2>&1
  redis-cli -p 6379 shutdown nosave >/dev/null 2>&1
}
trap cleanup EXIT

# ---- 1. the foreign servers: a PostgreSQL with only its superuser (password auth over TCP), a Redis with data
mkdir -p "$W/foreign-pg" "$W/foreign-pg-run"
chown postgres:postgres "$W/foreign-pg" "$W/foreign-pg-run"
echo foreign-secret >"$W/pwfile" && chown postgres "$W/pwfile"
runuser -u postgres -- "$PG_BIN/initdb" -D "$W/foreign-pg" -U postgres --pwfile="$W/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$W/foreign-pg" -l "$W/foreign-pg-run/postgres.log" -w start \
  -o "-p 5432 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$W/foreign-pg-run" >/dev/null
foreign_psql() { runuser -u postgres -- psql -h "$W/foreign-pg-run" -p 5432 -U postgres -XAtq "$@"; }
foreign_psql -c "CREATE DATABASE theirs"
foreign_psql -d theirs -c "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('keep me')"
redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes --logfile "$W/foreign-redis.log"
until [ "$(redis-cli -p 6379 ping 2>/dev/null)" = PONG ]; do sleep 0.1; done
redis-cli -p 6379 -n 0 set theirs:data 'keep me' >/dev/null
redis-cli -p 6379 -n 1 set theirs:more 'keep me too' >/dev/null
if ! port_open 5432 || [ "$(foreign_psql -d theirs -c 'SELECT count(*) FROM notes')" != 1 ]; then
  log "the foreign PostgreSQL did not start: $(cat "$W/foreign-pg-run/postgres.log" 2>/dev/null | tail -n 5)"
  exit 1
fi
log "foreign PostgreSQL and Redis up on 5432 and 6379"

# ---- 2. clone A: npm start
clone() {
  mkdir -p "$W/$1"
  (cd "$REPO" && git ls-files -co --exclude-standard | grep -v '^node_modules' | tar -cf - -T -) | tar -C "$W/$1" -xf -
  ln -s "$REPO/node_modules" "$W/$1/node_modules"
}
clone a
cd "$W/a"
bash scripts/start.sh >"$W/a-start.log" 2>&1 &
start_pid=$!
for ((i = 0; i < 900; i++)); do
  grep -q 'healthy in' "$W/a-start.log" && break
  kill -0 "$start_pid" 2>/dev/null || break
  sleep 0.5
done
sed 's/\x1b\[[0-9;]*m//g' "$W/a-start.log" | grep -E '^\[(infra|altis|db)\]' | sed 's/^/[a] /'
A_ENV=$W/a/.data/services.env
a() { sed -n "s/^$1=//p" "$A_ENV"; }
api_port=$(sed -n 's/.*API on http:\/\/localhost:\([0-9]*\).*/\1/p' "$W/a-start.log" | sed 's/\x1b\[[0-9;]*m//g' | head -n 1)
result a_health "$(curl -s -m 5 "http://127.0.0.1:${api_port:-8080}/health" | jq -c '{status, up: [.dependencies | to_entries[] | select(.value.status == "up") | .key]}')"
for k in ALTIS_PG_PORT ALTIS_PG_MODE ALTIS_REDIS_PORT ALTIS_REDIS_MODE ALTIS_TEMPORAL_PORT ALTIS_TEMPORAL_MODE \
  ALTIS_KAFKA_PORT ALTIS_KAFKA_MODE ALTIS_TEST_DB ALTIS_TEST_REDIS_DB ALTIS_TEST_TASK_QUEUE ALTIS_TEST_TOPIC_PREFIX \
  APP_DATABASE__URL APP_REDIS__URL; do
  result "a_$k" "$(a "$k")"
done
result a_said_pg "$(grep -c 'postgres: :5432 is another server that Altis cannot use' "$W/a-start.log")"
result a_said_redis "$(grep -c 'redis: :6379 is another server that Altis cannot use' "$W/a-start.log")"
result a_doctor "$(bash scripts/doctor.sh >"$W/a-doctor.log" 2>&1; echo $?)"
sed 's/\x1b\[[0-9;]*m//g' "$W/a-doctor.log" | sed 's/^/[a doctor] /'

# npm run db:reset in A: back to the freshly seeded state (a table of its own and an extra flight row are gone)
a_dev=$(a APP_DATABASE__URL)
flights_seeded=$(psql "$a_dev" -XAtqc 'SELECT count(*) FROM flights')
seats_seeded=$(psql "$a_dev" -XAtqc 'SELECT count(*) FROM flight_seats')
psql "$a_dev" -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE reset_marker (v text)" \
  -c "DELETE FROM flight_seats WHERE flight_id IN (SELECT id FROM flights ORDER BY id LIMIT 1)" >/dev/null
result a_reset_seats_before "$(psql "$a_dev" -XAtqc 'SELECT count(*) FROM flight_seats')/$seats_seeded"
result a_reset_rc "$(npm run -s db:reset >"$W/a-reset.log" 2>&1; echo $?)"
sed 's/\[[0-9;]*m//g' "$W/a-reset.log" | grep -E '^\[(db|seed)\]' | sed 's/^/[a reset] /'
result a_reset_marker_gone "$(psql "$a_dev" -XAtqc "SELECT to_regclass('reset_marker') IS NULL")"
result a_reset_flights "$(psql "$a_dev" -XAtqc 'SELECT count(*) FROM flights')/$flights_seeded"
result a_reset_seats "$(psql "$a_dev" -XAtqc 'SELECT count(*) FROM flight_seats')/$seats_seeded"

# ---- 3. clone B next to A: A's servers are Altis's, so B shares them with names of its own
clone b
cd "$W/b"
bash scripts/infra.sh start >"$W/b-infra.log" 2>&1
result b_infra_rc $?
sed 's/\x1b\[[0-9;]*m//g' "$W/b-infra.log" | sed 's/^/[b] /'
B_ENV=$W/b/.data/services.env
b() { sed -n "s/^$1=//p" "$B_ENV"; }
for k in ALTIS_PG_PORT ALTIS_PG_MODE ALTIS_REDIS_PORT ALTIS_REDIS_MODE ALTIS_TEMPORAL_MODE ALTIS_KAFKA_MODE \
  ALTIS_TEST_DB ALTIS_TEST_REDIS_DB ALTIS_TEST_TASK_QUEUE ALTIS_TEST_TOPIC_PREFIX APP_DATABASE__URL APP_REDIS__URL \
  APP_KAFKA__TOPIC_PREFIX APP_TEMPORAL__TASK_QUEUE; do
  result "b_$k" "$(b "$k")"
done

# ---- 4. A's tests, then B's: each in its own test database and Redis db
a_pg="postgres://altis:altis@127.0.0.1:$(a ALTIS_PG_PORT)"
TESTS=test/unit/config.test.ts
(cd "$W/a" && npx vitest run "$TESTS" >"$W/a-tests.log" 2>&1)
result a_tests_rc $?
psql "$a_pg/$(a ALTIS_TEST_DB)" -XAtqc "CREATE TABLE IF NOT EXISTS scenario_marker (v text); INSERT INTO scenario_marker VALUES ('a')"
redis-cli -p "$(a ALTIS_REDIS_PORT)" -n "$(a ALTIS_TEST_REDIS_DB)" set scenario:marker a >/dev/null
(cd "$W/b" && npx vitest run "$TESTS" >"$W/b-tests.log" 2>&1)
result b_tests_rc $?
tail -n 5 "$W/b-tests.log" | sed 's/^/[b tests] /'
result a_marker_after_b "$(psql "$a_pg/$(a ALTIS_TEST_DB)" -XAtqc "SELECT string_agg(v, ',') FROM scenario_marker")"
result a_redis_marker_after_b "$(redis-cli -p "$(a ALTIS_REDIS_PORT)" -n "$(a ALTIS_TEST_REDIS_DB)" get scenario:marker)"
result b_test_db_flights "$(psql "$a_pg/$(b ALTIS_TEST_DB)" -XAtqc 'SELECT count(*) FROM flights')"
result b_test_db_marker "$(psql "$a_pg/$(b ALTIS_TEST_DB)" -XAtqc "SELECT to_regclass('scenario_marker') IS NULL")"

# ---- the foreign servers: untouched
result foreign_pg_databases "$(foreign_psql -c "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE NOT datistemplate")"
result foreign_pg_roles "$(foreign_psql -c "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname NOT LIKE 'pg\_%'")"
result foreign_pg_notes "$(foreign_psql -d theirs -c "SELECT string_agg(body, ',') FROM notes")"
result foreign_redis_db0 "$(redis-cli -p 6379 -n 0 keys '*' | sort | paste -sd, -)"
result foreign_redis_db1 "$(redis-cli -p 6379 -n 1 keys '*' | sort | paste -sd, -)"
result foreign_redis_dbs "$(redis-cli -p 6379 info keyspace | grep -c '^db')"
