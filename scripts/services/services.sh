#!/usr/bin/env bash
# Start, stop or report every service the test suite runs against:
# PostgreSQL, Redis, OpenSearch and headless Chromium. Idempotent.
# Usage: services.sh up | down | status
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

case "${1:-status}" in
  up)
    bash "$here/postgres.sh" start
    bash "$here/redis.sh" start
    bash "$here/chromium.sh" install
    bash "$here/opensearch.sh" start
    ;;
  down)
    bash "$here/opensearch.sh" stop
    bash "$here/redis.sh" stop
    bash "$here/postgres.sh" stop
    ;;
  status)
    rc=0
    for svc in postgres redis opensearch chromium; do bash "$here/$svc.sh" status || rc=1; done
    exit $rc
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
