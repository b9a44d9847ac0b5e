#!/usr/bin/env bash
# RocketMQ 5 on 127.0.0.1 for development and tests: the name server and the proxy in local mode (with its embedded
# broker), run from the Maven Central jars, cached outside the repo. Small heaps and small mapped files.
# Usage: scripts/rocketmq.sh up|down|status|env|provision <topic> <group>...
set -euo pipefail

VERSION="${COUPONKILL_ROCKETMQ_VERSION:-5.3.3}"
CACHE="${COUPONKILL_HOME:-$HOME/.cache/couponkill}"
DIST="$CACHE/rocketmq/$VERSION"
STATE="$CACHE/services/rocketmq"
NAMESRV_PORT="${COUPONKILL_ROCKETMQ_NAMESRV_PORT:-9876}"
GRPC_PORT="${COUPONKILL_ROCKETMQ_GRPC_PORT:-18081}"
REMOTING_PORT=18080
BROKER_PORT=10911
NAMESRV="127.0.0.1:$NAMESRV_PORT"
DEFAULT_TOPIC=couponkill-events
DEFAULT_GROUP_PREFIX=couponkill

say() { echo "rocketmq: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"



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
  rm -rf "$DIST/lib"
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
  echo "listenPort=$NAMESRV_PORT" >"$DIST/conf/namesrv.properties"
  # Mapped files are sparse but mmapped at full size; 1 GiB commit logs and 5 M index slots are far too big for tests.
  cat >"$STATE/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=$NAMESRV
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
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


wait_port() {
  local what=$1 port=$2 pidfile=$3
  for ((i = 0; i < 480; i++)); do
    port_open "$port" && return 0
    pid_alive "$pidfile" || die "$what exited (see $STATE/logs/$what.out and $STATE/logs/$what.log)"
    sleep 0.25
  done
  die "$what did not listen on $port in time (see $STATE/logs/$what.log)"
}

java_run() {
  local name=$1 heap=$2
  shift 2
  # shellcheck disable=SC2086
  setsid nohup java $heap -XX:+UseSerialGC -XX:-AlwaysPreTouch -XX:ActiveProcessorCount=2 -XX:TieredStopAtLevel=1 \
    -Drocketmq.home.dir="$DIST" -Duser.home="$STATE" -Drmq.logback.configurationFile="$DIST/conf/logback.xml" \
    -Drocketmq.log.file="$STATE/logs/$name.log" -Drocketmq.broker.diskSpaceWarningLevelRatio=0.98 \
    -cp "$DIST/lib/*" "$@" </dev/null >"$STATE/logs/$name.out" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

admin() {
  java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Drocketmq.home.dir="$DIST" \
    -Drmq.logback.configurationFile="$DIST/conf/logback.xml" -Drocketmq.log.file="$STATE/logs/admin.log" \
    -cp "$DIST/lib/*" org.apache.rocketmq.tools.command.MQAdminStartup "$@" -n "$NAMESRV"
}

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

up() {
  if port_open "$GRPC_PORT" && port_open "$NAMESRV_PORT"; then return 0; fi
  fetch_jars
  write_config
  local started=$SECONDS
  if ! port_open "$NAMESRV_PORT"; then
    java_run namesrv "-Xms64m -Xmx192m" org.apache.rocketmq.namesrv.NamesrvStartup -c "$DIST/conf/namesrv.properties"
    wait_port namesrv "$NAMESRV_PORT" "$STATE/namesrv.pid"
  fi
  if ! port_open "$GRPC_PORT"; then
    java_run proxy "-Xms256m -Xmx768m -XX:MaxDirectMemorySize=256m" org.apache.rocketmq.proxy.ProxyStartup \
      -pm local -bc "$STATE/broker.conf" -pc "$STATE/rmq-proxy.json" -n "$NAMESRV"
    wait_port proxy "$GRPC_PORT" "$STATE/proxy.pid"
  fi
  provision "$DEFAULT_TOPIC" "$DEFAULT_GROUP_PREFIX-projector-orders" "$DEFAULT_GROUP_PREFIX-projector-coupons" \
    "$DEFAULT_GROUP_PREFIX-projector-stats"
  say "RocketMQ $VERSION up in $((SECONDS - started)) s: name server $NAMESRV, proxy gRPC 127.0.0.1:$GRPC_PORT"
}


case "${1:-}" in
  up) up ;;
  down)
    stop_pidfile proxy "$STATE/proxy.pid"
    stop_pidfile namesrv "$STATE/namesrv.pid"
    ;;
  status)
    for name in namesrv proxy; do
      if pid_alive "$STATE/$name.pid"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"; else echo "$name: stopped"; fi
    done
    ;;
  env)
    echo "export COUPONKILL_ROCKETMQ_ENDPOINTS=127.0.0.1:$GRPC_PORT"
    echo "export COUPONKILL_ROCKETMQ_NAMESRV=$NAMESRV"
    ;;
  provision)
    [ $# -ge 2 ] || die "usage: $0 provision <topic> <group>..."
    shift
    fetch_jars
    write_config
    provision "$@"
    ;;
  *)
    echo "usage: $0 up|down|status|env|provision <topic> <group>..." >&2
    exit 2
    ;;
esac
