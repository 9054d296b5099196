#!/usr/bin/env bash
# Redis for the tests (Celery broker and results), from Debian's packages, in
# .services/redis on 127.0.0.1:63799. Subcommands: start | stop | status.
set -euo pipefail
source "$(dirname "$0")/common.sh"

REDIS_PORT="${REDIS_PORT:-63799}"
REDIS_DIR="$SERVICES_DIR/redis"

start() {
  apt_install redis-server
  mkdir -p "$REDIS_DIR"
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    say "Redis already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  say "Starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --save "" --appendonly no
  wait_for_port 127.0.0.1 "$REDIS_PORT" 20 Redis
}

stop() {
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    say "Stopping Redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 50); do port_open 127.0.0.1 "$REDIS_PORT" || return 0; sleep 0.1; done
  fi
}

status() {
  if port_open 127.0.0.1 "$REDIS_PORT"; then echo "redis: running on 127.0.0.1:$REDIS_PORT"; else echo "redis: stopped"; return 1; fi
}

"${1:-status}"
