#!/usr/bin/env bash
# The Redis topologies the live-configuration tests switch the stock gate between, from Debian's redis-server, on
# 127.0.0.1: a primary with one replica watched by three Sentinels, and a six-node Redis Cluster (three primaries,
# three replicas). Test data only: a stopped topology starts again empty.
#
#   up [sentinel] [cluster]     start what is not running (both when none is named), check it serves
#   down|status [sentinel] [cluster]
#   env                         print COUPONKILL_TEST_SENTINELS, COUPONKILL_TEST_SENTINEL_MASTER and
#                               COUPONKILL_TEST_CLUSTER_NODES exports for eval
#
# Ports: COUPONKILL_SENTINEL_REDIS_PORT (16380: the primary; +1 the replica), COUPONKILL_SENTINEL_PORT (26380, +1, +2),
# COUPONKILL_CLUSTER_PORT (17001 to +5; each node's cluster bus is its port + 10000).
set -euo pipefail

say() { echo "redis-topologies: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

STATE="${COUPONKILL_HOME:-$HOME/.cache/couponkill}/services/redis-topologies"
HOST=127.0.0.1
DATA_PORT="$(port_setting COUPONKILL_SENTINEL_REDIS_PORT 16380)"
SENTINEL_PORT="$(port_setting COUPONKILL_SENTINEL_PORT 26380)"
CLUSTER_PORT="$(port_setting COUPONKILL_CLUSTER_PORT 17001)"
MASTER=couponkill

install_missing redis-server:redis-server redis-cli:redis-tools

cli() { redis-cli -h "$HOST" -p "$1" "${@:2}" 2>/dev/null; }

# `node <name> <port> <spec-variable> <args>…`: one redis-server in its own directory (the marker), started unless ours
# already listens.
node() {
  local name=$1 port=$2 var=$3 dir="$STATE/$1"
  shift 3
  local spec="$port|$var|host|Redis $name"
  server_check "redis $name" "$STATE/$name.pid" "cwd=$dir/" "$HOST" "$spec"
  [ "$SERVER_STATE" = up ] && return 0
  if [ "$SERVER_STATE" = stopped ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    local here=$PWD
    cd "$dir"
    spawn "redis $name" "$STATE/$name.pid" "cwd=$dir/" "$STATE/$name.log" redis-server "$@"
    cd "$here"
    SERVER_PID=$SPAWNED_PID
  fi
  await_ports "redis $name" "$SERVER_PID" 20 "$HOST" "$STATE/$name.log" "$spec"
}

server_args() { echo --bind "$HOST" --port "$1" --daemonize no --save '' --appendonly no --protected-mode no --dir .; }

sentinel_up() {
  mkdir -p "$STATE"
  # shellcheck disable=SC2046 # the arguments are words
  node primary "$DATA_PORT" COUPONKILL_SENTINEL_REDIS_PORT $(server_args "$DATA_PORT")
  # shellcheck disable=SC2046
  node replica $((DATA_PORT + 1)) COUPONKILL_SENTINEL_REDIS_PORT+1 $(server_args $((DATA_PORT + 1))) \
    --replicaof "$HOST" "$DATA_PORT"
  local i port
  for i in 0 1 2; do
    port=$((SENTINEL_PORT + i))
    if ! our_pid "$STATE/sentinel$i.pid" "cwd=$STATE/sentinel$i/" >/dev/null; then
      # A Sentinel rewrites its configuration file as it learns the topology: one of its own, written afresh.
      cat >"$STATE/sentinel$i.conf" <<CONF
bind $HOST
port $port
protected-mode no
sentinel monitor $MASTER $HOST $DATA_PORT 2
sentinel down-after-milliseconds $MASTER 1000
sentinel failover-timeout $MASTER 5000
sentinel parallel-syncs $MASTER 1
CONF
    fi
    node "sentinel$i" "$port" "COUPONKILL_SENTINEL_PORT+$i" "$STATE/sentinel$i.conf" --sentinel
  done
  # Ready when every Sentinel knows the primary, its replica and the other two Sentinels.
  sentinels_ready() {
    local p
    for p in "$SENTINEL_PORT" $((SENTINEL_PORT + 1)) $((SENTINEL_PORT + 2)); do
      cli "$p" sentinel master "$MASTER" | tr '\n' ' ' | grep -Eq 'num-slaves 1 .*num-other-sentinels 2' || return 1
    done
  }
  wait_until 30 sentinels_ready || abort_started "the Sentinels do not all see the primary, its replica and each other (see $STATE/sentinel0.log)"
  say "Sentinel topology up: primary $HOST:$DATA_PORT, replica $HOST:$((DATA_PORT + 1)), sentinels $HOST:$SENTINEL_PORT-$((SENTINEL_PORT + 2)), master name $MASTER"
}

cluster_up() {
  mkdir -p "$STATE"
  local i port nodes=()
  for i in 0 1 2 3 4 5; do
    port=$((CLUSTER_PORT + i))
    # shellcheck disable=SC2046
    node "cluster$i" "$port" "COUPONKILL_CLUSTER_PORT+$i" $(server_args "$port") --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 2000
    nodes+=("$HOST:$port")
  done
  if ! cli "$CLUSTER_PORT" cluster info | grep -q cluster_state:ok; then
    cli "$CLUSTER_PORT" --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$STATE/cluster-create.log" ||
      abort_started "redis-cli --cluster create failed (see $STATE/cluster-create.log)"
  fi
  cluster_ok() {
    local p
    for p in "${nodes[@]}"; do cli "${p##*:}" cluster info | grep -q cluster_state:ok || return 1; done
  }
  wait_until 30 cluster_ok || abort_started "the cluster's state is not ok on every node (see $STATE/cluster0.log)"
  say "Redis Cluster up: ${nodes[*]}"
}

down_set() {
  local names=() name
  case $1 in
    sentinel) names=(sentinel0 sentinel1 sentinel2 replica primary) ;;
    cluster) names=(cluster0 cluster1 cluster2 cluster3 cluster4 cluster5) ;;
  esac
  for name in "${names[@]}"; do stop_pidfile "redis $name" "$STATE/$name.pid" "cwd=$STATE/$name/"; done
}

status_set() {
  local i
  case $1 in
    sentinel)
      status_report "redis primary" "$STATE/primary.pid" "cwd=$STATE/primary/" "$HOST" "$DATA_PORT|COUPONKILL_SENTINEL_REDIS_PORT|host|Redis primary"
      status_report "redis replica" "$STATE/replica.pid" "cwd=$STATE/replica/" "$HOST" "$((DATA_PORT + 1))|COUPONKILL_SENTINEL_REDIS_PORT+1|host|Redis replica"
      for i in 0 1 2; do
        status_report "redis sentinel$i" "$STATE/sentinel$i.pid" "cwd=$STATE/sentinel$i/" "$HOST" "$((SENTINEL_PORT + i))|COUPONKILL_SENTINEL_PORT+$i|host|Sentinel"
      done
      ;;
    cluster)
      for i in 0 1 2 3 4 5; do
        status_report "redis cluster$i" "$STATE/cluster$i.pid" "cwd=$STATE/cluster$i/" "$HOST" "$((CLUSTER_PORT + i))|COUPONKILL_CLUSTER_PORT+$i|host|Redis Cluster node"
      done
      ;;
  esac
}

command=${1:-}
shift || true
sets=("$@")
[ "${#sets[@]}" -gt 0 ] || sets=(sentinel cluster)
for set in "${sets[@]}"; do
  case $set in sentinel | cluster) ;; *) die "unknown topology $set (sentinel or cluster)" ;; esac
done
case $command in
  up) for set in "${sets[@]}"; do "${set}_up"; done ;;
  down) for set in "${sets[@]}"; do down_set "$set"; done ;;
  status) for set in "${sets[@]}"; do status_set "$set"; done ;;
  env)
    echo "export COUPONKILL_TEST_SENTINELS=$HOST:$SENTINEL_PORT,$HOST:$((SENTINEL_PORT + 1)),$HOST:$((SENTINEL_PORT + 2))"
    echo "export COUPONKILL_TEST_SENTINEL_MASTER=$MASTER"
    echo "export COUPONKILL_TEST_CLUSTER_NODES=$HOST:$CLUSTER_PORT,$HOST:$((CLUSTER_PORT + 1)),$HOST:$((CLUSTER_PORT + 2))"
    ;;
  *) die "usage: $0 up|down|status|env [sentinel] [cluster]" ;;
esac
