#!/usr/bin/env bash
# Installs, starts and stops Altis's real local services without Docker:
#   PostgreSQL and Redis (Debian packages), the Temporal CLI dev server (built from its Go module, Web UI
#   embedded), Apache Kafka in KRaft mode (Maven Central artifacts).
# Idempotent: a service already up is left alone. Slow downloads are cached under $ALTIS_CACHE_DIR
# (default ~/.cache/altis) so a fresh clone on the same machine reuses them; runtime data and logs live under
# $ALTIS_DATA_DIR (default <repo>/.data, git-ignored).
#
#   scripts/infra.sh install            install/build what is missing
#   scripts/infra.sh start [svc ...]    install if needed, start, wait until healthy (default: all)
#   scripts/infra.sh stop [svc ...]     stop (default: all)
#   scripts/infra.sh status             one line per service
# Services: postgres redis temporal kafka
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${ALTIS_DATA_DIR:-$ROOT/.data}
CACHE=${ALTIS_CACHE_DIR:-$HOME/.cache/altis}
LOGS=$DATA/logs

PG_PORT=${ALTIS_PG_PORT:-5432}
REDIS_PORT=${ALTIS_REDIS_PORT:-6379}
TEMPORAL_PORT=${ALTIS_TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${ALTIS_TEMPORAL_UI_PORT:-8233}
KAFKA_PORT=${ALTIS_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${ALTIS_KAFKA_CONTROLLER_PORT:-9093}

TEMPORAL_CLI_VERSION=1.5.1
TEMPORAL_BIN=$CACHE/temporal-$TEMPORAL_CLI_VERSION/temporal
KAFKA_VERSION=3.9.1
KAFKA_LIBS=$CACHE/kafka-$KAFKA_VERSION/libs

ALL_SERVICES=(postgres redis temporal kafka)

say() { printf '\033[1;34m[infra]\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31m[infra]\033[0m %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for <what> <seconds> <command...>: polls until the command succeeds, printing a dot a second.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local i
  for ((i = 0; i < seconds * 4; i++)); do
    if "$@" >/dev/null 2>&1; then
      [ "$i" -ge 4 ] && echo
      return 0
    fi
    if ((i % 4 == 3)); then printf '.'; fi
    sleep 0.25
  done
  echo
  fail "$what did not become healthy within ${seconds}s (logs: $LOGS)"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
  local name=$1 pidfile=$2
  if pid_alive "$pidfile"; then
    local pid
    pid=$(cat "$pidfile")
    say "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 120; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

# ---------------------------------------------------------------- install
install_postgres() {
  if [ -z "$(pg_bin)" ]; then apt_install postgresql postgresql-contrib; fi
}

install_redis() {
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
}

install_temporal() {
  if [ -x "$TEMPORAL_BIN" ]; then return; fi
  command -v go >/dev/null || fail "Go is needed to build the Temporal CLI"
  say "building the Temporal CLI v$TEMPORAL_CLI_VERSION from its Go module (first time only, several minutes)"
  mkdir -p "$(dirname "$TEMPORAL_BIN")"
  GOBIN=$(dirname "$TEMPORAL_BIN") go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION"
  [ -x "$TEMPORAL_BIN" ] || fail "the Temporal CLI build produced no binary"
}

install_kafka() {
  if [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then return; fi
  command -v java >/dev/null || fail "Java 17 is needed to run Kafka"
  command -v mvn >/dev/null || fail "Maven is needed to fetch Kafka"
  say "resolving Apache Kafka $KAFKA_VERSION from Maven Central (first time only)"
  mkdir -p "$KAFKA_LIBS"
  (cd "$ROOT/scripts/kafka" && mvn -q -B dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime)
}

# ---------------------------------------------------------------- postgres
PG_DATA=$DATA/postgres
PG_RUN=$DATA/postgres-run

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

as_postgres() { runuser -u postgres -- "$@"; }

start_postgres() {
  install_postgres
  local bin
  bin=$(pg_bin)
  if pg_ready; then say "postgres already up on :$PG_PORT"; else
    mkdir -p "$PG_DATA" "$PG_RUN"
    chown postgres:postgres "$PG_DATA" "$PG_RUN"
    chmod 700 "$PG_DATA"
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      say "initialising a PostgreSQL cluster in $PG_DATA"
      as_postgres "$bin/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$LOGS/postgres-initdb.log"
    fi
    say "starting postgres on :$PG_PORT"
    touch "$LOGS/postgres.log" && chown postgres:postgres "$LOGS/postgres.log"
    as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t 60 start \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_RUN -c max_connections=200 -c fsync=on" \
      >/dev/null
    wait_for postgres 60 pg_ready
  fi
  # The role and databases are ensured on every start (cheap, idempotent).
  local psql=("$bin/psql" -h "$PG_RUN" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  as_postgres "${psql[@]}" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'altis') THEN
      CREATE ROLE altis LOGIN PASSWORD 'altis'; END IF; END \$\$;" >/dev/null
  local db
  for db in altis altis_test; do
    if [ -z "$(as_postgres "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      say "creating database $db"
      as_postgres "${psql[@]}" -c "CREATE DATABASE $db OWNER altis" >/dev/null
    fi
  done
}

stop_postgres() {
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    say "stopping postgres"
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || true
  fi
}

# ---------------------------------------------------------------- redis
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

start_redis() {
  install_redis
  if redis_ready; then say "redis already up on :$REDIS_PORT"; return; fi
  mkdir -p "$DATA/redis"
  say "starting redis on :$REDIS_PORT (no persistence: the index is rebuilt from Postgres)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$DATA/redis" \
    --daemonize yes --pidfile "$DATA/redis/redis.pid" --logfile "$LOGS/redis.log"
  wait_for redis 30 redis_ready
}

stop_redis() {
  if redis_ready; then
    say "stopping redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  rm -f "$DATA/redis/redis.pid"
}

# ---------------------------------------------------------------- temporal
TEMPORAL_PID=$DATA/temporal/temporal.pid

temporal_ready() {
  "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING &&
    "$TEMPORAL_BIN" operator search-attribute list --address "127.0.0.1:$TEMPORAL_PORT" --namespace default 2>/dev/null |
    grep -q CustomerId
}

start_temporal() {
  install_temporal
  if temporal_ready; then say "temporal already up on :$TEMPORAL_PORT (Web UI http://localhost:$TEMPORAL_UI_PORT)"; return; fi
  mkdir -p "$DATA/temporal"
  say "starting the Temporal dev server on :$TEMPORAL_PORT, Web UI on :$TEMPORAL_UI_PORT (state in $DATA/temporal)"
  setsid nohup "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$DATA/temporal/temporal.db" --namespace default \
    --search-attribute OrderStatus=Keyword --search-attribute CustomerId=Keyword \
    --dynamic-config-value frontend.enableUpdateWorkflowExecution=true \
    --log-level warn </dev/null >>"$LOGS/temporal.log" 2>&1 &
  echo $! >"$TEMPORAL_PID"
  wait_for temporal 120 temporal_ready
}

stop_temporal() { stop_pidfile temporal "$TEMPORAL_PID"; }

# ---------------------------------------------------------------- kafka
KAFKA_DIR=$DATA/kafka
KAFKA_PID=$KAFKA_DIR/kafka.pid

kafka_ready() {
  port_open "$KAFKA_PORT" && [ -f "$LOGS/kafka.log" ] && grep -q 'Kafka Server started' "$LOGS/kafka.log"
}

kafka_java() { java -Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -cp "$KAFKA_LIBS/*" "$@"; }

start_kafka() {
  install_kafka
  if pid_alive "$KAFKA_PID" && kafka_ready; then say "kafka already up on :$KAFKA_PORT"; return; fi
  if port_open "$KAFKA_PORT"; then fail "port $KAFKA_PORT is taken by a process this script did not start"; fi
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=WARN
log4j.logger.state.change.logger=WARN
EOF
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    say "formatting Kafka KRaft storage"
    local cluster_id
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >>"$LOGS/kafka-format.log" 2>&1
  fi
  say "starting kafka on :$KAFKA_PORT (KRaft, one broker)"
  : >"$LOGS/kafka.log"
  setsid nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" </dev/null >>"$LOGS/kafka.log" 2>&1 &
  echo $! >"$KAFKA_PID"
  wait_for kafka 120 kafka_ready
}

stop_kafka() { stop_pidfile kafka "$KAFKA_PID"; }

# ---------------------------------------------------------------- main
status_line() {
  local svc=$1 up=down
  case $svc in
  postgres) pg_bin >/dev/null && pg_ready && up=up ;;
  redis) command -v redis-cli >/dev/null && redis_ready && up=up ;;
  temporal) [ -x "$TEMPORAL_BIN" ] && temporal_ready && up=up ;;
  kafka) kafka_ready && up=up ;;
  esac
  printf '%-9s %s\n' "$svc" "$up"
}

services() { if [ $# -eq 0 ]; then echo "${ALL_SERVICES[@]}"; else echo "$@"; fi; }

main() {
  local cmd=${1:-start}
  shift || true
  mkdir -p "$DATA" "$LOGS" "$CACHE"
  case $cmd in
  install) for s in $(services "$@"); do "install_$s"; done ;;
  start)
    local t0=$SECONDS
    for s in $(services "$@"); do "start_$s"; done
    say "services up in $((SECONDS - t0))s; logs in $LOGS"
    ;;
  stop) for s in $(services "$@"); do "stop_$s"; done ;;
  status) for s in $(services "$@"); do status_line "$s"; done ;;
  *) fail "usage: $0 install|start|stop|status [postgres redis temporal kafka]" ;;
  esac
}

main "$@"
