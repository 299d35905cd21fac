#!/usr/bin/env bash
# Installs, starts and stops Altis's real local services without Docker:
#   PostgreSQL and Redis (Debian packages), the Temporal CLI dev server (built from its Go module, Web UI
#   embedded), Apache Kafka in KRaft mode (Maven Central artifacts).
# Idempotent. Slow downloads are cached outside the clone, under $ALTIS_CACHE_DIR (default ~/.cache/altis) and
# Go's and Maven's own caches, so a fresh clone on the same machine reuses them; runtime data and logs live under
# $ALTIS_DATA_DIR (default <repo>/.data, git-ignored).
#
# A port that answers is never taken for "already up" by itself. Each service is either
#   own     this clone's (its pid file or data directory in $ALTIS_DATA_DIR runs it), or
#   shared  another server on the port that is compatible and reachable with Altis's configured credentials
#           (see the *_usable functions: what each check asks and why), used with names of this clone's own
#           (databases, Redis databases, topic prefix, task queue), or
#   moved   another server that is not usable: this clone starts its own on the next free port.
# The outcome goes to $ALTIS_DATA_DIR/services.env, which config/index.ts (API, worker, consumers, scripts, bench)
# and test/env.ts read, so every process talks to the same servers.
#
#   scripts/infra.sh install            install/build what is missing, concurrently, with progress
#   scripts/infra.sh start [svc ...]    install if needed, start, wait until healthy (default: all)
#   scripts/infra.sh stop [svc ...]     stop what this clone started (default: all)
#   scripts/infra.sh status             one line per service
# Services: postgres redis temporal kafka. `install` also runs scripts/deps.sh (npm) when ALTIS_INSTALL_NPM=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${ALTIS_DATA_DIR:-$ROOT/.data}
CACHE=${ALTIS_CACHE_DIR:-$HOME/.cache/altis}
LOGS=$DATA/logs
SERVICES_ENV=$DATA/services.env
# The clone's identity: names of its own on servers it shares with other clones.
CLONE_ID=$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)

# What the last start chose (ports moved off a foreign server stay where they went).
saved() { if [ -f "$SERVICES_ENV" ]; then sed -n "s/^$1=//p" "$SERVICES_ENV" | tail -n 1; fi; }
setting() { local v=${!1:-}; [ -n "$v" ] || v=$(saved "$1"); echo "${v:-$2}"; }

PG_PORT=$(setting ALTIS_PG_PORT 5432)
REDIS_PORT=$(setting ALTIS_REDIS_PORT 6379)
TEMPORAL_PORT=$(setting ALTIS_TEMPORAL_PORT 7233)
TEMPORAL_UI_PORT=$(setting ALTIS_TEMPORAL_UI_PORT $((TEMPORAL_PORT + 1000)))
KAFKA_PORT=$(setting ALTIS_KAFKA_PORT 9092)
KAFKA_CONTROLLER_PORT=$(setting ALTIS_KAFKA_CONTROLLER_PORT $((KAFKA_PORT + 1)))
# The credentials of config/default.toml's URLs (the role infra.sh creates in its own cluster).
PG_USER=altis
PG_PASSWORD=altis

TEMPORAL_CLI_VERSION=1.5.1
TEMPORAL_BIN=$CACHE/temporal-$TEMPORAL_CLI_VERSION/temporal
KAFKA_VERSION=3.9.1
KAFKA_LIBS=$CACHE/kafka-$KAFKA_VERSION/libs

ALL_SERVICES=(postgres redis temporal kafka)

say() { printf '\033[1;34m[infra]\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m[infra]\033[0m %s\n' "$*"; }
fail() {
  printf '\033[1;31m[infra]\033[0m %s\n' "$*" >&2
  exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port <from>: the first port from <from> on that nothing listens on.
free_port() {
  local p=$1
  while port_open "$p"; do p=$((p + 1)); done
  echo "$p"
}

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

# ---------------------------------------------------------------- install
# Debian packages: one apt job for all of them (apt holds a lock). Already installed packages cost nothing.
APT_PACKAGES=()
need_apt() {
  if [ -z "$(pg_bin)" ]; then APT_PACKAGES+=(postgresql postgresql-contrib); fi
  if ! command -v redis-server >/dev/null; then APT_PACKAGES+=(redis-server); fi
  # The browser tests (test/browser/) drive Debian's Chromium through playwright-core: no browser download.
  if ! command -v chromium >/dev/null; then APT_PACKAGES+=(chromium fonts-liberation); fi
  return 0
}

install_apt() {
  echo "apt-get update"
  apt-get update -qq
  echo "apt-get install ${APT_PACKAGES[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${APT_PACKAGES[@]}"
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ]; then echo "$d"; fi
}

need_temporal() { [ ! -x "$TEMPORAL_BIN" ]; }

install_temporal() {
  command -v go >/dev/null || fail "Go is needed to build the Temporal CLI (https://go.dev/dl/)"
  mkdir -p "$(dirname "$TEMPORAL_BIN")"
  # -v names each package as it is compiled: the heartbeat shows how far the build is. -trimpath and -s -w make a
  # smaller binary and a shorter link.
  GOBIN=$(dirname "$TEMPORAL_BIN") go install -v -trimpath -ldflags='-s -w' \
    "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" 2>&1
  [ -x "$TEMPORAL_BIN" ] || fail "the Temporal CLI build produced no binary"
}

need_kafka() { [ ! -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; }

install_kafka() {
  command -v java >/dev/null || fail "Java 17 is needed to run Kafka (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || fail "Maven is needed to fetch Kafka (apt-get install maven)"
  local tmp=$KAFKA_LIBS.partial
  rm -rf "$tmp" && mkdir -p "$tmp"
  # -B --no-transfer-progress: one line per artifact resolved, no progress bars in the log.
  (cd "$ROOT/scripts/kafka" && mvn -B --no-transfer-progress dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DoutputDirectory="$tmp" -DincludeScope=runtime)
  rm -rf "$KAFKA_LIBS" && mv "$tmp" "$KAFKA_LIBS"
}

need_npm() { [ "${ALTIS_INSTALL_NPM:-0}" = 1 ] && [ ! -d "$ROOT/node_modules" ]; }
install_npm() { bash "$ROOT/scripts/deps.sh"; }

# What a running job is doing, in a few words: the last meaningful line of its log.
job_progress() {
  local name=$1 log=$2
  case $name in
  temporal)
    local built downloaded
    downloaded=$(grep -c '^go: downloading' "$log" 2>/dev/null || true)
    built=$(grep -vc '^go: ' "$log" 2>/dev/null || true)
    if [ "${built:-0}" -gt 0 ]; then
      echo "compiling: $built packages built, last $(grep -v '^go: ' "$log" | tail -n 1)"
    else
      echo "downloading Go modules ($downloaded so far)"
    fi
    ;;
  kafka) echo "$(find "$HOME/.m2/repository" -name '*.jar' 2>/dev/null | wc -l) jars in the Maven repository, last: $(tail -n 1 "$log" | cut -c1-80)" ;;
  npm) echo "$(find "$ROOT/node_modules" -maxdepth 2 -name package.json 2>/dev/null | wc -l) packages in node_modules" ;;
  *) tail -n 1 "$log" 2>/dev/null | cut -c1-100 ;;
  esac
}

# install: every missing piece at once (npm, apt, the Temporal CLI build, the Kafka artifacts are independent), a
# line when each starts and ends, and a heartbeat with the elapsed time every 10 s while any runs.
install_all() {
  local pids=() names=() logs=() started=()
  need_apt
  local t0=$SECONDS name
  for name in npm apt temporal kafka; do
    case $name in
    apt) [ ${#APT_PACKAGES[@]} -gt 0 ] || continue ;;
    *) "need_$name" || continue ;;
    esac
    local log=$LOGS/install-$name.log
    : >"$log"
    case $name in
    npm) say "installing npm dependencies (log: $log)" ;;
    apt) say "installing Debian packages ${APT_PACKAGES[*]} (log: $log)" ;;
    temporal) say "building the Temporal CLI v$TEMPORAL_CLI_VERSION from its Go module, first time only (log: $log)" ;;
    kafka) say "resolving Apache Kafka $KAFKA_VERSION from Maven Central, first time only (log: $log)" ;;
    esac
    ("install_$name" >>"$log" 2>&1) &
    pids+=($!) names+=("$name") logs+=("$log") started+=("$SECONDS")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  local failed=0 i
  local -A done_=()
  while [ ${#done_[@]} -lt ${#pids[@]} ]; do
    for i in "${!pids[@]}"; do
      [ -n "${done_[$i]:-}" ] && continue
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        done_[$i]=1
        if wait "${pids[$i]}"; then
          say "${names[$i]}: done in $((SECONDS - started[i]))s"
        else
          failed=1
          warn "${names[$i]}: FAILED after $((SECONDS - started[i]))s; the end of ${logs[$i]}:"
          tail -n 15 "${logs[$i]}" | sed 's/^/    /' >&2
        fi
      fi
    done
    [ ${#done_[@]} -lt ${#pids[@]} ] || break
    local tick
    for ((tick = 0; tick < 40; tick++)); do
      sleep 0.25
      local any=0
      for i in "${!pids[@]}"; do
        if [ -z "${done_[$i]:-}" ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then any=1; fi
      done
      [ "$any" = 1 ] && break
    done
    if [ "$tick" -eq 40 ]; then
      for i in "${!pids[@]}"; do
        [ -n "${done_[$i]:-}" ] && continue
        say "  ${names[$i]}: $((SECONDS - started[i]))s, $(job_progress "${names[$i]}" "${logs[$i]}")"
      done
    fi
  done
  [ "$failed" = 0 ] || fail "an install step failed (logs above)"
  say "installed in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- postgres
PG_DATA=$DATA/postgres
PG_RUN=$DATA/postgres-run
PG_MODE=
PG_DEV_DB=altis
PG_TEST_DB=

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }
as_postgres() { runuser -u postgres -- "$@"; }
# The port this clone's own cluster runs on (postmaster.pid: pid on line 1, port on line 4), if it runs.
pg_own_port() {
  [ -f "$PG_DATA/postmaster.pid" ] || return 1
  local pid port
  pid=$(sed -n 1p "$PG_DATA/postmaster.pid")
  port=$(sed -n 4p "$PG_DATA/postmaster.pid")
  kill -0 "$pid" 2>/dev/null && [ -n "$port" ] && echo "$port"
}
pg_tcp() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=3 "$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$1" \
    -X -v ON_ERROR_STOP=1 -qtA -c "$2"
}

# pg_usable: another server on PG_PORT is used when the configured role logs in over TCP, the server is
# PostgreSQL 15 or later (the migrations' SQL), and the role may create this clone's databases (or they exist).
# Prints why not, otherwise nothing.
pg_usable() {
  local out
  if ! out=$(pg_tcp postgres "SELECT current_setting('server_version_num')::int / 10000,
      (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user),
      (SELECT count(*) FROM pg_database WHERE datname IN ('$PG_DEV_DB', '$PG_TEST_DB'))" 2>&1); then
    echo "role $PG_USER cannot log in with the configured password ($(head -n 1 <<<"$out" | sed 's/^psql: error: //'))"
    return 1
  fi
  local major createdb existing
  IFS='|' read -r major createdb existing <<<"$out"
  if [ "$major" -lt 15 ]; then
    echo "PostgreSQL $major is older than 15"
    return 1
  fi
  if [ "$createdb" != t ] && [ "$existing" != 2 ]; then
    echo "role $PG_USER may not create databases and $PG_DEV_DB / $PG_TEST_DB do not exist"
    return 1
  fi
  return 0
}

start_postgres() {
  local port why
  PG_TEST_DB=${ALTIS_TEST_DB:-altis_test}
  if port=$(pg_own_port); then
    PG_PORT=$port PG_MODE=own
    say "postgres: this clone's own cluster is up on :$PG_PORT ($PG_DATA)"
  else
    # From the configured port up, the first server Altis can use is shared, the first free port gets this clone's own.
    while port_open "$PG_PORT"; do
      # Another server: named after this clone so that it never uses another clone's data.
      PG_DEV_DB=altis_$CLONE_ID PG_TEST_DB=${ALTIS_TEST_DB:-altis_test_$CLONE_ID}
      if why=$(pg_usable); then
        PG_MODE=shared
        local version
        version=$(pg_tcp postgres "SHOW server_version" | cut -d' ' -f1)
        say "postgres: :$PG_PORT is another server (PostgreSQL $version, not this clone's), reachable as $PG_USER with" \
          "the configured password: using it with databases $PG_DEV_DB, $PG_TEST_DB"
        break
      fi
      PG_DEV_DB=altis PG_TEST_DB=${ALTIS_TEST_DB:-altis_test}
      warn "postgres: :$PG_PORT is another server that Altis cannot use ($why); trying :$((PG_PORT + 1))"
      PG_PORT=$((PG_PORT + 1))
    done
  fi
  if [ -z "$PG_MODE" ]; then
    PG_MODE=own
    run_own_postgres
  fi
  ensure_databases
}

run_own_postgres() {
  local bin
  bin=$(pg_bin)
  mkdir -p "$PG_DATA" "$PG_RUN"
  chown postgres:postgres "$PG_DATA" "$PG_RUN"
  chmod 700 "$PG_DATA"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    say "postgres: initialising a cluster in $PG_DATA"
    as_postgres "$bin/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$LOGS/postgres-initdb.log"
  fi
  say "postgres: starting this clone's own on :$PG_PORT"
  touch "$LOGS/postgres.log" && chown postgres:postgres "$LOGS/postgres.log"
  as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_RUN -c max_connections=200 -c fsync=on" \
    >/dev/null
  wait_for postgres 60 pg_ready
}

# The role and the clone's databases, on every start (cheap, idempotent). In its own cluster through the socket as
# the superuser; the role may create databases so that other clones can share this cluster. On a shared server,
# over TCP as the configured role.
ensure_databases() {
  local db
  if [ "$PG_MODE" = own ]; then
    local psql=("$(pg_bin)/psql" -h "$PG_RUN" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
    as_postgres "${psql[@]}" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
        CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'; END IF; END \$\$;
        ALTER ROLE $PG_USER CREATEDB;" >/dev/null
    for db in "$PG_DEV_DB" "$PG_TEST_DB"; do
      if [ -z "$(as_postgres "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        say "postgres: creating database $db"
        as_postgres "${psql[@]}" -c "CREATE DATABASE $db OWNER $PG_USER" >/dev/null
      fi
    done
  else
    for db in "$PG_DEV_DB" "$PG_TEST_DB"; do
      if [ -z "$(pg_tcp postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        say "postgres: creating database $db"
        pg_tcp postgres "CREATE DATABASE $db" >/dev/null
      fi
    done
  fi
}

stop_postgres() {
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    say "stopping postgres"
    as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || true
  fi
}

# ---------------------------------------------------------------- redis
REDIS_PIDFILE=$DATA/redis/redis.pid
REDIS_MODE=
REDIS_DEV_DB=0
REDIS_TEST_DB=
# In every Altis Redis, db 0 holds this hash: which clone uses which database (db:<n> -> "<clone path> dev|test").
REDIS_REGISTRY=altis:redis-databases

rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
redis_ready() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }
redis_own() {
  pid_alive "$REDIS_PIDFILE" && [ "$(rcli info server 2>/dev/null | sed -n 's/^process_id:\([0-9]*\).*/\1/p')" = "$(cat "$REDIS_PIDFILE")" ]
}

# redis_usable: another server on REDIS_PORT is used when it answers PING without credentials (the configured URL
# has none), is Redis 7 or later (the Lua scripts' commands), and is an Altis Redis: its registry says which
# databases are free, so that this clone claims two without touching anyone's data. A Redis without it is
# someone else's and stays untouched.
redis_usable() {
  local pong version
  pong=$(rcli ping 2>&1 | head -n 1)
  if [ "$pong" != PONG ]; then
    echo "it does not answer PING without a password ($pong)"
    return 1
  fi
  version=$(rcli info server | sed -n 's/^redis_version:\([0-9]*\).*/\1/p')
  if [ "${version:-0}" -lt 7 ]; then
    echo "Redis ${version:-?} is older than 7"
    return 1
  fi
  if [ "$(rcli -n 0 exists "$REDIS_REGISTRY")" != 1 ]; then
    echo "it is not an Altis Redis (no $REDIS_REGISTRY registry in db 0): its databases may hold someone's data"
    return 1
  fi
  return 0
}

# redis_claim <dev|test>: this clone's database of that role in a shared Altis Redis, claimed once (14 down to 2;
# 0 and 1 belong to the Redis's own clone, 15 to the bench). Prints nothing when every one is taken.
redis_claim() {
  local role=$1 mine="$ROOT $1" n
  for ((n = 14; n >= 2; n--)); do
    if [ "$(rcli -n 0 hget "$REDIS_REGISTRY" "db:$n")" = "$mine" ]; then
      echo "$n"
      return
    fi
  done
  for ((n = 14; n >= 2; n--)); do
    if [ "$(rcli -n 0 hsetnx "$REDIS_REGISTRY" "db:$n" "$mine")" = 1 ]; then
      echo "$n"
      return
    fi
  done
}

start_redis() {
  local why
  REDIS_TEST_DB=${ALTIS_TEST_REDIS_DB:-1}
  if redis_own; then
    REDIS_MODE=own
    say "redis: this clone's own is up on :$REDIS_PORT"
  else
    while port_open "$REDIS_PORT"; do
      local dev_db='' test_db=''
      if why=$(redis_usable) && dev_db=$(redis_claim dev) && test_db=$(redis_claim test) && [ -n "$dev_db" ] &&
        [ -n "$test_db" ]; then
        REDIS_MODE=shared REDIS_DEV_DB=$dev_db REDIS_TEST_DB=${ALTIS_TEST_REDIS_DB:-$test_db}
        say "redis: :$REDIS_PORT is another clone's Altis Redis $(rcli info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')," \
          "reachable without a password: using its databases $REDIS_DEV_DB (dev) and $REDIS_TEST_DB (tests)"
        break
      fi
      [ -n "$why" ] || why="no free database left in it"
      warn "redis: :$REDIS_PORT is another server that Altis cannot use ($why); trying :$((REDIS_PORT + 1))"
      REDIS_PORT=$((REDIS_PORT + 1))
    done
  fi
  if [ -z "$REDIS_MODE" ]; then
    REDIS_MODE=own
    mkdir -p "$DATA/redis"
    say "redis: starting this clone's own on :$REDIS_PORT (no persistence: the index is rebuilt from Postgres)"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$DATA/redis" \
      --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$LOGS/redis.log"
    wait_for redis 30 redis_ready
  fi
  if [ "$REDIS_MODE" = own ]; then
    # Redis keeps nothing on disk: the registry is written again on every start.
    rcli -n 0 hset "$REDIS_REGISTRY" db:0 "$ROOT dev" db:1 "$ROOT test" db:15 "bench" >/dev/null
  fi
}

stop_redis() {
  if redis_own; then
    say "stopping redis"
    rcli shutdown nosave >/dev/null 2>&1 || true
  fi
  rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------- temporal
TEMPORAL_PID=$DATA/temporal/temporal.pid
TEMPORAL_MODE=

temporal_cli() { "$TEMPORAL_BIN" "$@" --address "127.0.0.1:$TEMPORAL_PORT"; }
temporal_ready() {
  temporal_cli operator cluster health 2>/dev/null | grep -q SERVING &&
    temporal_cli operator search-attribute list --namespace default 2>/dev/null | grep -q CustomerId
}
temporal_own() { pid_alive "$TEMPORAL_PID" && temporal_ready; }

# temporal_usable: another server on TEMPORAL_PORT is used when it is a Temporal frontend that answers SERVING
# without credentials, has the namespace `default` with Altis's search attributes (OrderStatus, CustomerId): then
# this clone polls task queues of its own there.
temporal_usable() {
  if ! temporal_cli operator cluster health 2>/dev/null | grep -q SERVING; then
    echo "it is not a Temporal frontend answering without credentials"
    return 1
  fi
  local attrs
  attrs=$(temporal_cli operator search-attribute list --namespace default 2>&1 || true)
  if ! grep -q CustomerId <<<"$attrs" || ! grep -q OrderStatus <<<"$attrs"; then
    echo "its namespace default lacks the search attributes OrderStatus and CustomerId"
    return 1
  fi
  return 0
}

# Which server of $1 (temporal or kafka) this clone uses, in $1_MODE: its own when it runs ($1_own: own, said as
# $3), else from the port the variable $2 names up, the first that Altis can use ($1_usable: shared, said as $4);
# each one it cannot use is passed ($1_next_port moves the service's ports on). None (an empty mode) at the first
# free port: the caller starts its own there.
settle_server() {
  local svc=$1 port_var=$2 own=$3 shared=$4 why mode_var
  mode_var=$(echo "$svc" | tr '[:lower:]' '[:upper:]')_MODE
  if "${svc}_own"; then
    printf -v "$mode_var" own
    say "$svc: this clone's own $own"
    return 0
  fi
  while port_open "${!port_var}"; do
    if why=$("${svc}_usable"); then
      printf -v "$mode_var" shared
      say "$svc: :${!port_var} is $shared"
      return 0
    fi
    local was=${!port_var}
    "${svc}_next_port"
    warn "$svc: :$was is another server that Altis cannot use ($why); trying :${!port_var}"
  done
}

temporal_next_port() { TEMPORAL_PORT=$((TEMPORAL_PORT + 1)) TEMPORAL_UI_PORT=$((TEMPORAL_PORT + 1000)); }
kafka_next_port() { KAFKA_PORT=$((KAFKA_PORT + 2)) KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1)); }

start_temporal() {
  settle_server temporal TEMPORAL_PORT \
    "dev server is up on :$TEMPORAL_PORT (Web UI http://localhost:$TEMPORAL_UI_PORT)" \
    "another Temporal server with Altis's search attributes, reachable without credentials: using it with this clone's task queues"
  if [ -z "$TEMPORAL_MODE" ]; then
    TEMPORAL_MODE=own
    port_open "$TEMPORAL_UI_PORT" && TEMPORAL_UI_PORT=$(free_port $((TEMPORAL_UI_PORT + 1)))
    mkdir -p "$DATA/temporal"
    say "temporal: starting this clone's own dev server on :$TEMPORAL_PORT, Web UI on :$TEMPORAL_UI_PORT (state in $DATA/temporal)"
    setsid nohup "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
      --db-filename "$DATA/temporal/temporal.db" --namespace default \
      --search-attribute OrderStatus=Keyword --search-attribute CustomerId=Keyword --search-attribute Disruption=Keyword \
      --dynamic-config-value frontend.enableUpdateWorkflowExecution=true \
      --log-level warn </dev/null >>"$LOGS/temporal.log" 2>&1 &
    echo $! >"$TEMPORAL_PID"
    wait_for temporal 120 temporal_ready
  fi
  # Disruption (issue #15, airline-initiated changes): registered on a server started before it existed too.
  if ! temporal_cli operator search-attribute list --namespace default 2>/dev/null | grep -q Disruption; then
    temporal_cli operator search-attribute create --namespace default --name Disruption --type Keyword >/dev/null 2>&1 ||
      warn "temporal: could not register the search attribute Disruption (orders cannot be filtered by it)"
  fi
}

stop_temporal() { stop_pidfile temporal "$TEMPORAL_PID"; }

# ---------------------------------------------------------------- kafka
KAFKA_DIR=$DATA/kafka
KAFKA_PID=$KAFKA_DIR/kafka.pid
KAFKA_MODE=

kafka_ready() {
  port_open "$KAFKA_PORT" && [ -f "$LOGS/kafka.log" ] && grep -q 'Kafka Server started' "$LOGS/kafka.log"
}
kafka_own() { pid_alive "$KAFKA_PID" && kafka_ready; }

# kafka_usable: another server on KAFKA_PORT is used when a Kafka client (kafkajs, as the API and worker use it)
# connects without credentials and the cluster has a broker (topic creation is not checked): this clone's topics get a
# prefix of its own.
kafka_usable() {
  [ -d "$ROOT/node_modules/kafkajs" ] || {
    echo "kafkajs is not installed yet, so it cannot be checked"
    return 1
  }
  (cd "$ROOT" && KAFKA_PORT=$KAFKA_PORT node --input-type=module -e "
    import kafkajs from 'kafkajs';
    const kafka = new kafkajs.Kafka({ brokers: ['127.0.0.1:' + process.env.KAFKA_PORT], connectionTimeout: 3000,
      retry: { retries: 0 }, logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    const timer = setTimeout(() => { console.log('no Kafka answer within 8 s'); process.exit(1); }, 8000);
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('the cluster has no broker');
      await admin.disconnect();
      clearTimeout(timer);
    } catch (err) { console.log('not a Kafka broker answering without credentials: ' + err.message); process.exit(1); }
  " 2>&1)
}

start_kafka() {
  settle_server kafka KAFKA_PORT "broker is up on :$KAFKA_PORT" \
    "another Kafka broker, reachable without credentials: using it with this clone's topic prefix"
  if [ -z "$KAFKA_MODE" ]; then
    KAFKA_MODE=own
    port_open "$KAFKA_CONTROLLER_PORT" && KAFKA_CONTROLLER_PORT=$(free_port $((KAFKA_CONTROLLER_PORT + 1)))
    run_own_kafka
  fi
}

kafka_java() { java -Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -cp "$KAFKA_LIBS/*" "$@"; }

run_own_kafka() {
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
    say "kafka: formatting KRaft storage"
    # A cluster id is 16 random bytes in URL-safe base64 (what `StorageTool random-uuid` prints): one JVM start less.
    # Not one that starts with "-": the tool's argument parser would take it for an option (1 start in 64 failed).
    local cluster_id=-
    while [ "${cluster_id#-}" != "$cluster_id" ]; do
      cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >>"$LOGS/kafka-format.log" 2>&1
  fi
  say "kafka: starting this clone's own broker on :$KAFKA_PORT (KRaft, one broker)"
  : >"$LOGS/kafka.log"
  setsid nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" </dev/null >>"$LOGS/kafka.log" 2>&1 &
  echo $! >"$KAFKA_PID"
  wait_for kafka 120 kafka_ready
}

stop_kafka() { stop_pidfile kafka "$KAFKA_PID"; }

# ---------------------------------------------------------------- services.env
# Where the API, worker, consumers, scripts, bench (config/index.ts) and tests (test/env.ts) find the services.
write_services_env() {
  # On a shared broker or Temporal server, topics and task queues of this clone's own (dev and tests).
  local prefix=altis. queue=altis-orders test_name=${PG_TEST_DB//_/-}
  local test_prefix=$test_name. test_queue=$test_name
  if [ "$KAFKA_MODE" = shared ]; then prefix=altis-$CLONE_ID. test_prefix=altis-test-$CLONE_ID.; fi
  if [ "$TEMPORAL_MODE" = shared ]; then queue=altis-orders-$CLONE_ID test_queue=altis-test-$CLONE_ID; fi
  local tmp=$SERVICES_ENV.tmp
  cat >"$tmp" <<EOF
# Written by scripts/infra.sh start ($(date -u +%FT%TZ)): the servers this clone ($ROOT) uses.
# own = started by this clone; shared = another server, compatible and reachable with the configured credentials.
# Read by config/index.ts (under the process's own APP_* variables) and test/env.ts. Delete it to decide again.
ALTIS_CLONE_ID=$CLONE_ID
ALTIS_PG_PORT=$PG_PORT
ALTIS_PG_MODE=$PG_MODE
ALTIS_REDIS_PORT=$REDIS_PORT
ALTIS_REDIS_MODE=$REDIS_MODE
ALTIS_TEMPORAL_PORT=$TEMPORAL_PORT
ALTIS_TEMPORAL_UI_PORT=$TEMPORAL_UI_PORT
ALTIS_TEMPORAL_MODE=$TEMPORAL_MODE
ALTIS_KAFKA_PORT=$KAFKA_PORT
ALTIS_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
ALTIS_KAFKA_MODE=$KAFKA_MODE
ALTIS_TEST_DB=$PG_TEST_DB
ALTIS_TEST_REDIS_DB=$REDIS_TEST_DB
ALTIS_TEST_TOPIC_PREFIX=$test_prefix
ALTIS_TEST_TASK_QUEUE=$test_queue
APP_DATABASE__URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DEV_DB
APP_REDIS__URL=redis://127.0.0.1:$REDIS_PORT/$REDIS_DEV_DB
APP_TEMPORAL__ADDRESS=127.0.0.1:$TEMPORAL_PORT
APP_TEMPORAL__WEB_UI_URL=http://localhost:$TEMPORAL_UI_PORT
APP_TEMPORAL__TASK_QUEUE=$queue
APP_KAFKA__BROKERS=127.0.0.1:$KAFKA_PORT
APP_KAFKA__TOPIC_PREFIX=$prefix
EOF
  mv "$tmp" "$SERVICES_ENV"
}

# ---------------------------------------------------------------- main
status_line() {
  local svc=$1 up=down
  case $svc in
  postgres) [ -n "$(pg_bin)" ] && pg_ready && up=up ;;
  redis) command -v redis-cli >/dev/null && redis_ready && up=up ;;
  temporal) [ -x "$TEMPORAL_BIN" ] && temporal_ready && up=up ;;
  kafka) port_open "$KAFKA_PORT" && up=up ;;
  esac
  local key=${svc^^}
  [ "$svc" = postgres ] && key=PG
  local port_var=${key}_PORT
  printf '%-9s %-5s :%-6s %s\n' "$svc" "$up" "${!port_var}" "$(saved "ALTIS_${key}_MODE")"
}

services() { if [ $# -eq 0 ]; then echo "${ALL_SERVICES[@]}"; else echo "$@"; fi; }

main() {
  local cmd=${1:-start}
  shift || true
  mkdir -p "$DATA" "$LOGS" "$CACHE"
  case $cmd in
  install) install_all ;;
  start)
    local t0=$SECONDS s
    install_all
    local wanted
    wanted=$(services "$@")
    for s in "${ALL_SERVICES[@]}"; do
      if [[ " $wanted " == *" $s "* ]]; then "start_$s"; else "adopt_$s"; fi
    done
    write_services_env
    say "services up in $((SECONDS - t0))s; ports in $SERVICES_ENV, logs in $LOGS"
    ;;
  stop) for s in $(services "$@"); do "stop_$s"; done ;;
  status) for s in $(services "$@"); do status_line "$s"; done ;;
  *) fail "usage: $0 install|start|stop|status [postgres redis temporal kafka]" ;;
  esac
}

# A start of some services keeps what the last start wrote for the others.
adopt_postgres() {
  PG_MODE=$(saved ALTIS_PG_MODE)
  PG_TEST_DB=$(saved ALTIS_TEST_DB)
  local url
  url=$(saved APP_DATABASE__URL)
  PG_DEV_DB=${url##*/}
  PG_DEV_DB=${PG_DEV_DB:-altis} PG_TEST_DB=${PG_TEST_DB:-altis_test}
}
adopt_redis() {
  REDIS_MODE=$(saved ALTIS_REDIS_MODE)
  REDIS_TEST_DB=$(saved ALTIS_TEST_REDIS_DB)
  local url
  url=$(saved APP_REDIS__URL)
  REDIS_DEV_DB=${url##*/}
  REDIS_DEV_DB=${REDIS_DEV_DB:-0} REDIS_TEST_DB=${REDIS_TEST_DB:-1}
}
adopt_temporal() { TEMPORAL_MODE=$(saved ALTIS_TEMPORAL_MODE); }
adopt_kafka() { KAFKA_MODE=$(saved ALTIS_KAFKA_MODE); }

main "$@"
