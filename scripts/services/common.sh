# Shared helpers for the service scripts. Sourced, not run.
# Everything lives under $SERVICES_DIR (.services/ in the project), listens on
# loopback only and uses non-default ports so it never collides with a
# developer's own PostgreSQL, Redis or search node.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="${SERVICES_DIR:-$ROOT/.services}"
mkdir -p "$SERVICES_DIR"

say() { printf '==> %s\n' "$*"; }

# apt-get update once per machine boot-ish (per services dir), then install
# the Debian packages that are missing.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Need root (or sudo) to install: ${missing[*]}" >&2
    SUDO=sudo
  else
    SUDO=
  fi
  if [ ! -f "$SERVICES_DIR/.apt-updated" ]; then
    $SUDO apt-get update -qq
    touch "$SERVICES_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# wait_for_port HOST PORT SECONDS NAME
wait_for_port() {
  local host=$1 port=$2 seconds=$3 name=$4 i
  for ((i = 0; i < seconds * 5; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "$name did not start listening on $host:$port within ${seconds}s" >&2
  return 1
}

port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}
