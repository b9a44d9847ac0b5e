#!/usr/bin/env bash
# A Nacos-compatible config server for the live-configuration tests: rnacos (a Nacos server in Rust, crates.io), built
# once into the cache and started on 127.0.0.1. The official Nacos server is not published to any package registry
# (../shared/notes/middleware.md §4); rnacos serves the same open API v1 the config client speaks.
#
#   build                      cargo install rnacos into ~/.cache/couponkill/tools/rnacos/<version> (~20 min cold)
#   up                         build if needed, check the ports, start, prove a write reads back
#   down|status
#   env                        print `export COUPONKILL_RNACOS_ADDR=…` for eval (NACOS_SERVER_ADDR is kept for a real
#                              Nacos: the contract suite runs against it too when it is set)
#
# Ports: COUPONKILL_NACOS_PORT (18848, HTTP), and that +1000 (gRPC and raft) and +2000 (console). On an empty data
# directory rnacos sometimes panics at start and then answers writes it never stores: `up` publishes a probe, reads it
# back, and starts again on a fresh directory when it does not (up to five times).
set -euo pipefail

say() { echo "nacos: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

VERSION=0.8.8
CACHE="${COUPONKILL_HOME:-$HOME/.cache/couponkill}"
TOOL_DIR="$CACHE/tools/rnacos"
BIN="$TOOL_DIR/$VERSION/bin/rnacos"
STATE="$CACHE/services/nacos"
HOST=127.0.0.1
PORT="$(port_setting COUPONKILL_NACOS_PORT 18848)"
GRPC_PORT=$((PORT + 1000))
CONSOLE_PORT=$((PORT + 2000))
PIDFILE="$STATE/rnacos.pid"
LOG="$STATE/rnacos.log"
MARKER="cwd=$STATE/"
SPECS=("$PORT|COUPONKILL_NACOS_PORT|host|rnacos HTTP" "$GRPC_PORT|COUPONKILL_NACOS_PORT+1000|host|rnacos gRPC" "$CONSOLE_PORT|COUPONKILL_NACOS_PORT+2000|host|rnacos console")

build() {
  [ -x "$BIN" ] && return 0
  command -v cargo >/dev/null 2>&1 || die "cargo is needed to build rnacos (https://rustup.rs)"
  mkdir -p "$TOOL_DIR"
  exec 9>"$TOOL_DIR/build.lock"
  flock 9
  [ -x "$BIN" ] && return 0
  say "building rnacos $VERSION with cargo (once per machine; ~20 min on two cores)"
  rm -rf "$TOOL_DIR/$VERSION.partial"
  CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo install rnacos --version "$VERSION" --locked \
    --root "$TOOL_DIR/$VERSION.partial" >"$TOOL_DIR/build.log" 2>&1 ||
    { tail -n 20 "$TOOL_DIR/build.log" >&2; die "cargo install rnacos failed (see $TOOL_DIR/build.log)"; }
  rm -rf "${TOOL_DIR:?}/$VERSION"
  mv "$TOOL_DIR/$VERSION.partial" "$TOOL_DIR/$VERSION"
  say "rnacos $VERSION built: $BIN"
}

api() { curl -fsS --max-time 5 "http://$HOST:$PORT/nacos/v1/cs/configs" "$@"; }

# A write that reads back: the defect above answers `true` to writes and stores nothing.
probe() {
  local token="probe-$$-$RANDOM"
  [ "$(api -X POST -d dataId=couponkill.probe -d group=DEFAULT_GROUP -d "content=$token" 2>/dev/null)" = true ] || return 1
  [ "$(api -G -d dataId=couponkill.probe -d group=DEFAULT_GROUP 2>/dev/null)" = "$token" ]
}

start() {
  mkdir -p "$STATE/data"
  cat >"$STATE/rnacos.env" <<ENV
RNACOS_HTTP_PORT=$PORT
RNACOS_GRPC_PORT=$GRPC_PORT
RNACOS_HTTP_CONSOLE_PORT=$CONSOLE_PORT
RNACOS_SDK_HOST=$HOST
RNACOS_CONSOLE_HOST=$HOST
RNACOS_RAFT_NODE_ADDR=$HOST:$GRPC_PORT
RNACOS_DATA_DIR=$STATE/data
RNACOS_ENABLE_OPEN_API_AUTH=false
ENV
  # -e always: without it rnacos reads .env from its working directory (which is its state directory, the marker).
  local here=$PWD
  cd "$STATE"
  spawn rnacos "$PIDFILE" "$MARKER" "$LOG" "$BIN" -e "$STATE/rnacos.env"
  cd "$here"
}

up() {
  build
  mkdir -p "$STATE"
  local attempt
  for attempt in 1 2 3 4 5; do
    server_check rnacos "$PIDFILE" "$MARKER" "$HOST" "${SPECS[@]}"
    if [ "$SERVER_STATE" = up ] && probe; then
      say "rnacos running on $HOST:$PORT (pid $SERVER_PID)"
      return 0
    fi
    [ "$SERVER_STATE" = stopped ] || stop_pidfile rnacos "$PIDFILE" "$MARKER"
    # A directory that did not initialise cleanly never recovers: start on a fresh one.
    [ "$attempt" -eq 1 ] && [ "$SERVER_STATE" = stopped ] || rm -rf "$STATE/data"
    start
    local pid
    pid="$(cat "$PIDFILE")"
    await_ports rnacos "$pid" 60 "$HOST" "$LOG" "${SPECS[@]}"
    if wait_until 20 probe && ! grep -q panicked "$LOG"; then
      say "rnacos started on $HOST:$PORT (pid $pid)"
      return 0
    fi
    say "rnacos (pid $pid) did not store a probe write (attempt $attempt of 5): starting again on a fresh data directory"
    stop_pidfile rnacos "$PIDFILE" "$MARKER"
    rm -rf "$STATE/data"
  done
  die "rnacos never stored a probe write (see $LOG)"
}

case "${1:-}" in
  build) build ;;
  up) up ;;
  down) stop_pidfile rnacos "$PIDFILE" "$MARKER" ;;
  status) status_report rnacos "$PIDFILE" "$MARKER" "$HOST" "${SPECS[@]}" ;;
  env) echo "export COUPONKILL_RNACOS_ADDR=$HOST:$PORT" ;;
  *) die "usage: $0 build|up|down|status|env" ;;
esac
