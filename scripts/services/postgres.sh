#!/usr/bin/env bash
# PostgreSQL for the tests, from Debian's packages, in .services/postgres on
# 127.0.0.1:54329. Subcommands: start | stop | status.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PG_PORT="${PG_PORT:-54329}"
PG_DIR="$SERVICES_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_USER_OS=postgres   # PostgreSQL refuses to run as root

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  echo "$bin"
}

as_pg() { if [ "$(id -un)" = "$PG_USER_OS" ]; then "$@"; else runuser -u "$PG_USER_OS" -- "$@"; fi; }

install() {
  apt_install postgresql
  id "$PG_USER_OS" >/dev/null 2>&1 || useradd --system --home "$PG_DIR" "$PG_USER_OS"
}

start() {
  install
  local bin; bin=$(pg_bin)
  mkdir -p "$PG_DIR"
  chown "$PG_USER_OS" "$PG_DIR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    say "Creating PostgreSQL cluster in $PG_DATA"
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    say "Starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  wait_for_port 127.0.0.1 "$PG_PORT" 30 PostgreSQL
  # The hub's role and database (trust auth on loopback: test data only).
  as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='hub'" | grep -q 1 \
    || as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE ROLE hub LOGIN CREATEDB"
  as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='hub'" | grep -q 1 \
    || as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE hub OWNER hub"
}

stop() {
  [ -f "$PG_DATA/PG_VERSION" ] || return 0
  local bin; bin=$(pg_bin) || return 0
  if as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    say "Stopping PostgreSQL"
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

status() {
  if port_open 127.0.0.1 "$PG_PORT"; then echo "postgres: running on 127.0.0.1:$PG_PORT"; else echo "postgres: stopped"; return 1; fi
}

"${1:-status}"
