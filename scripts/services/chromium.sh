#!/usr/bin/env bash
# Headless Chromium and ChromeDriver from Debian's packages, for browser tests.
# Subcommands: install | status.
set -euo pipefail
source "$(dirname "$0")/common.sh"

install() { apt_install chromium chromium-driver; }
start() { install; }
stop() { :; }
status() {
  if command -v chromium >/dev/null; then echo "chromium: $(chromium --version 2>/dev/null)"; else echo "chromium: not installed"; return 1; fi
}

"${1:-status}"
