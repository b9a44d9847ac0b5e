#!/usr/bin/env bash
# RocketMQ 5 for development and tests: the name server and the proxy in local mode (with its embedded broker), run
# from the Maven Central jars, cached outside the repo. Small heaps and small mapped files.
# Usage: scripts/rocketmq.sh up|down|status|env|provision <topic> <group>...
#        scripts/rocketmq.sh provision-projections <topic> <groupPrefix> <partitions> <projection>...
#
# Ports (each checked free, or ours, before anything is fetched or started, and checked listening after the start):
#   COUPONKILL_ROCKETMQ_NAMESRV_PORT    9876   name server
#   COUPONKILL_ROCKETMQ_GRPC_PORT       18081  proxy gRPC (what the app's client talks to)
#   COUPONKILL_ROCKETMQ_REMOTING_PORT   18080  proxy remoting (RocketMQ's own protocol)
#   COUPONKILL_ROCKETMQ_BROKER_PORT     10911  embedded broker; it also opens this port - 2 (its "fast" VIP channel)
#   COUPONKILL_ROCKETMQ_BROKER_HA_PORT  broker port + 1  broker HA (replication to slaves; unused here but always open)
# Bind address: COUPONKILL_ROCKETMQ_HOST (127.0.0.1). RocketMQ 5.3.3 honours it for the name server and the broker's two
# remoting ports (`bindAddress`), but binds three ports on every interface whatever it is told: the proxy's gRPC server
# (GrpcServerBuilder: NettyServerBuilder.forPort), the proxy's remoting server (a NettyServerConfig of its own, bindAddress
# always 0.0.0.0) and the broker's HA listener (DefaultHAService: new InetSocketAddress(port)). Those three are verified
# to listen on every interface (which includes 127.0.0.1), by the proxy's pid.
set -euo pipefail

say() { echo "rocketmq: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

VERSION="${COUPONKILL_ROCKETMQ_VERSION:-5.3.3}"
CACHE="${COUPONKILL_HOME:-$HOME/.cache/couponkill}"
DIST="$CACHE/rocketmq/$VERSION"
STATE="$CACHE/services/rocketmq"
HOST="$(host_setting COUPONKILL_ROCKETMQ_HOST)"
CONNECT="$(connect_host "$HOST")"
NAMESRV_PORT="$(port_setting COUPONKILL_ROCKETMQ_NAMESRV_PORT 9876)"
GRPC_PORT="$(port_setting COUPONKILL_ROCKETMQ_GRPC_PORT 18081)"
REMOTING_PORT="$(port_setting COUPONKILL_ROCKETMQ_REMOTING_PORT 18080)"
BROKER_PORT="$(port_setting COUPONKILL_ROCKETMQ_BROKER_PORT 10911)"
[ "$BROKER_PORT" -gt 2 ] || die "COUPONKILL_ROCKETMQ_BROKER_PORT=$BROKER_PORT leaves no room for the broker's fast port (broker port - 2)"
FAST_PORT=$((BROKER_PORT - 2))
HA_PORT="$(port_setting COUPONKILL_ROCKETMQ_BROKER_HA_PORT $((BROKER_PORT + 1)))"
NAMESRV="$CONNECT:$NAMESRV_PORT"
DEFAULT_TOPIC=couponkill-events
DEFAULT_GROUP_PREFIX=couponkill

# Each JVM carries its own log file's path, inside this state directory: that is how a pid is known to be ours.
NAMESRV_MARKER="-Drocketmq.log.file=$STATE/logs/namesrv.log"
PROXY_MARKER="-Drocketmq.log.file=$STATE/logs/proxy.log"
NAMESRV_SPECS=("$NAMESRV_PORT|COUPONKILL_ROCKETMQ_NAMESRV_PORT|host|name server")
PROXY_SPECS=(
  "$GRPC_PORT|COUPONKILL_ROCKETMQ_GRPC_PORT|all|proxy gRPC"
  "$REMOTING_PORT|COUPONKILL_ROCKETMQ_REMOTING_PORT|all|proxy remoting"
  "$BROKER_PORT|COUPONKILL_ROCKETMQ_BROKER_PORT|host|broker"
  "$FAST_PORT|COUPONKILL_ROCKETMQ_BROKER_PORT|host|broker fast channel, the broker port - 2"
  "$HA_PORT|COUPONKILL_ROCKETMQ_BROKER_HA_PORT|all|broker HA"
)
distinct_ports "${NAMESRV_SPECS[@]}" "${PROXY_SPECS[@]}"

# The jars come from Maven Central through a throwaway pom; the resolved set is kept per version.
fetch_jars() {
  [ -f "$DIST/lib/.complete" ] && return 0
  install_missing java:openjdk-17-jre-headless mvn:maven
  say "fetching RocketMQ $VERSION from Maven Central into $DIST"
  mkdir -p "$DIST/pom"
  cat >"$DIST/pom/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.couponkill</groupId>
  <artifactId>rocketmq-runtime</artifactId>
  <version>$VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-namesrv</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-proxy</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-tools</artifactId><version>$VERSION</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "${DIST:?}/lib"
  mvn -q -B -U -f "$DIST/pom/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIST/lib" \
    -Dmaven.repo.local="$CACHE/m2" >"$DIST/maven.log" 2>&1 || die "Maven could not fetch the jars (see $DIST/maven.log)"
  touch "$DIST/lib/.complete"
}

write_config() {
  mkdir -p "$DIST/conf" "$STATE/store" "$STATE/logs"
  cat >"$DIST/conf/logback.xml" <<XML
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${rocketmq.log.file}</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
</configuration>
XML
  printf 'listenPort=%s\nbindAddress=%s\n' "$NAMESRV_PORT" "$HOST" >"$STATE/namesrv.properties"
  # Mapped files are sparse but mmapped at full size; 1 GiB commit logs and 5 M index slots are far too big for tests.
  cat >"$STATE/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=$NAMESRV
brokerIP1=$CONNECT
bindAddress=$HOST
listenPort=$BROKER_PORT
haListenPort=$HA_PORT
storePathRootDir=$STATE/store
storePathCommitLog=$STATE/store/commitlog
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=600000
mappedFileSizeTimerLog=16777216
maxHashSlotNum=50000
maxIndexNum=200000
fileReservedTime=1
diskMaxUsedSpaceRatio=90
autoCreateTopicEnable=false
autoCreateSubscriptionGroup=false
CONF
  cat >"$STATE/rmq-proxy.json" <<JSON
{
  "rocketMQClusterName": "DefaultCluster",
  "proxyMode": "local",
  "namesrvAddr": "$NAMESRV",
  "grpcServerPort": $GRPC_PORT,
  "remotingListenPort": $REMOTING_PORT,
  "grpcClientConsumerMinLongPollingTimeoutMillis": 1000,
  "minInvisibleTimeMillsForRecv": 1000
}
JSON
}


# `java_run <name> <heap> <marker> <main class and arguments>…`; sets SPAWNED_PID.
java_run() {
  local name=$1 heap=$2 marker=$3
  shift 3
  # shellcheck disable=SC2086
  spawn "$name" "$STATE/$name.pid" "$marker" "$STATE/logs/$name.out" \
    java $heap -XX:+UseSerialGC -XX:-AlwaysPreTouch -XX:ActiveProcessorCount=2 -XX:TieredStopAtLevel=1 \
    -Drocketmq.home.dir="$DIST" -Duser.home="$STATE" -Drmq.logback.configurationFile="$DIST/conf/logback.xml" \
    -Drocketmq.log.file="$STATE/logs/$name.log" -Drocketmq.broker.diskSpaceWarningLevelRatio=0.98 \
    -cp "$DIST/lib/*" "$@"
}

# An admin client's JVM: small, quick to start, logging into our state directory.
admin_java() {
  java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Drocketmq.home.dir="$DIST" \
    -Drmq.logback.configurationFile="$DIST/conf/logback.xml" -Drocketmq.log.file="$STATE/logs/admin.log" \
    -cp "$DIST/lib/*" "$@"
}

admin() { admin_java org.apache.rocketmq.tools.command.MQAdminStartup "$@" -n "$NAMESRV"; }

# A FIFO topic (the proxy refuses FIFO sends to a NORMAL one), its NORMAL dead-letter topic `<topic>-DLQ`, and
# orderly groups (FIFO delivery per message group). Each mqadmin call is a JVM: they run side by side.
# A group's first receive on a queue that already holds messages may start at the newest one (the broker's pop offset
# policy), so groups made together with a new topic get their offsets committed at its start.
run_all() {
  local jobs=() logs=() failed=0 i=0
  for command in "$@"; do
    logs+=("$STATE/logs/provision-$i.out")
    # shellcheck disable=SC2086
    admin $command >"$STATE/logs/provision-$i.out" 2>&1 &
    jobs+=($!)
    i=$((i + 1))
  done
  for i in "${!jobs[@]}"; do
    if ! wait "${jobs[$i]}"; then cat "${logs[$i]}" >&2; failed=1; fi
  done
  rm -f "${logs[@]}"
  return "$failed"
}

provision() {
  local topic=$1
  shift
  local new_topic=1
  # mqadmin exits 0 either way: an existing topic is one it prints a queue table for.
  local status
  status="$(admin topicStatus -t "$topic" 2>&1 || true)"
  [[ $status == *"#Broker Name"* ]] && new_topic=0
  local commands=("updateTopic -c DefaultCluster -t $topic -r 8 -w 8 -a +message.type=FIFO"
    "updateTopic -c DefaultCluster -t $topic-DLQ -r 1 -w 1")
  for group in "$@"; do commands+=("updateSubGroup -c DefaultCluster -g $group -o true -r 16"); done
  run_all "${commands[@]}" || die "could not provision topic $topic and groups $*"
  if [ "$new_topic" -eq 1 ] && [ $# -gt 0 ]; then
    commands=()
    for group in "$@"; do commands+=("resetOffsetByTime -g $group -t $topic -s 0 -f true"); done
    run_all "${commands[@]}" || die "could not set the offsets of groups $* to the start of $topic"
  fi
}

# Partitioned projections: per projection and partition p of P a FIFO topic `<topic>-<projection>-<p>of<P>` read by
# one orderly group `<groupPrefix>-projector-<projection>-<p>of<P>`, and the NORMAL `<topic>-DLQ`. Hundreds of objects,
# so one JVM does it all through the admin API (a Java 17 single-file program, compiled at launch) rather than one
# mqadmin JVM per object; it commits offset 0 for the groups of new topics for the reason given above `run_all`.
provision_projections() {
  [[ ${3:-} =~ ^[0-9]+$ ]] || die "partitions must be a whole number, not '${3:-}'"
  admin_java "$(dirname "$0")/rocketmq/ProvisionProjections.java" "$NAMESRV" DefaultCluster "$@" ||
    die "could not provision the projection topics and groups of $1 (see above and $STATE/logs/admin.log)"
}

# The default names' partitioned topics and groups (idempotent: a rerun creates nothing and moves no offset).
provision_defaults() {
  provision_projections "$DEFAULT_TOPIC" "$DEFAULT_GROUP_PREFIX" "${COUPONKILL_PROJECTION_PARTITIONS:-16}" orders coupons \
    stats reservations notifications >"$STATE/logs/provision-projections.out"
}

# Our name server (or proxy) as it is now: `server_check` by name.
check_namesrv() { server_check namesrv "$STATE/namesrv.pid" "$NAMESRV_MARKER" "$HOST" "${NAMESRV_SPECS[@]}"; }
check_proxy() { server_check proxy "$STATE/proxy.pid" "$PROXY_MARKER" "$HOST" "${PROXY_SPECS[@]}"; }

up() {
  install_missing ss:iproute2
  # Every port first: a port someone else holds stops us before anything is fetched, written or started.
  check_namesrv
  local namesrv_state=$SERVER_STATE namesrv_pid=$SERVER_PID
  check_proxy
  local proxy_state=$SERVER_STATE proxy_pid=$SERVER_PID
  if [ "$namesrv_state" = up ] && [ "$proxy_state" = up ]; then
    # Running already: the default topics may still be missing (an `up` that failed while provisioning them).
    provision_defaults
    return 0
  fi
  fetch_jars
  write_config
  local started=$SECONDS logdir="$STATE/logs"
  case $namesrv_state in
    stopped)
      java_run namesrv "-Xms64m -Xmx192m" "$NAMESRV_MARKER" org.apache.rocketmq.namesrv.NamesrvStartup \
        -c "$STATE/namesrv.properties"
      namesrv_pid=$SPAWNED_PID
      ;&
    starting) await_ports namesrv "$namesrv_pid" 120 "$HOST" "$logdir/namesrv.out and namesrv.log" "${NAMESRV_SPECS[@]}" ;;
  esac
  case $proxy_state in
    stopped)
      java_run proxy "-Xms256m -Xmx768m -XX:MaxDirectMemorySize=256m" "$PROXY_MARKER" \
        org.apache.rocketmq.proxy.ProxyStartup -pm local -bc "$STATE/broker.conf" -pc "$STATE/rmq-proxy.json" -n "$NAMESRV"
      proxy_pid=$SPAWNED_PID
      ;&
    starting) await_ports proxy "$proxy_pid" 120 "$HOST" "$logdir/proxy.out and proxy.log" "${PROXY_SPECS[@]}" ;;
  esac
  provision_defaults
  say "RocketMQ $VERSION up in $((SECONDS - started)) s: name server $NAMESRV, proxy gRPC $CONNECT:$GRPC_PORT," \
    "remoting $REMOTING_PORT, broker $BROKER_PORT (fast $FAST_PORT, HA $HA_PORT)"
}

case "${1:-}" in
  up) up ;;
  down)
    stop_pidfile proxy "$STATE/proxy.pid" "$PROXY_MARKER"
    stop_pidfile namesrv "$STATE/namesrv.pid" "$NAMESRV_MARKER"
    ;;
  status)
    status_report namesrv "$STATE/namesrv.pid" "$NAMESRV_MARKER" "$HOST" "${NAMESRV_SPECS[@]}"
    status_report proxy "$STATE/proxy.pid" "$PROXY_MARKER" "$HOST" "${PROXY_SPECS[@]}"
    ;;
  env)
    echo "export COUPONKILL_ROCKETMQ_ENDPOINTS=$CONNECT:$GRPC_PORT"
    echo "export COUPONKILL_ROCKETMQ_NAMESRV=$NAMESRV"
    ;;
  provision)
    [ $# -ge 2 ] || die "usage: $0 provision <topic> <group>..."
    shift
    fetch_jars
    write_config
    provision "$@"
    ;;
  provision-projections)
    [ $# -ge 5 ] || die "usage: $0 provision-projections <topic> <groupPrefix> <partitions> <projection>..."
    shift
    fetch_jars
    write_config
    provision_projections "$@"
    ;;
  *)
    echo "usage: $0 up|down|status|env|provision <topic> <group>...|provision-projections <topic> <groupPrefix> <partitions> <projection>..." >&2
    exit 2
    ;;
esac
