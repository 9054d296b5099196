#!/usr/bin/env bash
# Start, stop or report every service the test suite runs against:
# PostgreSQL, Redis, OpenSearch, headless Chromium and Bluesky's reference
# stack (which keeps its data in that PostgreSQL). Idempotent.
# Usage: services.sh up | down | status
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

case "${1:-status}" in
  up)
    bash "$here/postgres.sh" start
    bash "$here/redis.sh" start
    bash "$here/chromium.sh" install
    bash "$here/opensearch.sh" start
    bash "$here/atproto.sh" start
    ;;
  down)
    bash "$here/atproto.sh" stop
    bash "$here/opensearch.sh" stop
    bash "$here/redis.sh" stop
    bash "$here/postgres.sh" stop
    ;;
  status)
    rc=0
    for svc in postgres redis opensearch chromium atproto; do bash "$here/$svc.sh" status || rc=1; done
    exit $rc
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
