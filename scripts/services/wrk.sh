#!/usr/bin/env bash
# wrk, the HTTP load generator, from Debian's packages: scripts/bench_pages.py measures the
# page rates with it (issue 14). Subcommands: install | status.
set -euo pipefail
source "$(dirname "$0")/common.sh"

install() { command -v wrk >/dev/null || apt_install wrk; }
start() { install; }
stop() { :; }
status() {
  if command -v wrk >/dev/null; then echo "wrk: $(wrk --version 2>&1 | head -1)"; else echo "wrk: not installed"; return 1; fi
}

"${1:-status}"
