#!/usr/bin/env bash
# A real kube-apiserver + etcd on 127.0.0.1 for the operator's integration tests, the way controller-runtime's envtest
# runs them: no kubelet, no controllers (so no pods and no garbage collector), just the API. The `keda-*` commands run
# a second, separate instance that adds what KEDA needs: kube-controller-manager (HPA, deployment and replicaset
# controllers only), the KEDA operator and the KEDA metrics adapter (APIService v1beta1.external.metrics.k8s.io), all
# out of cluster as local processes. Separate, so that its controllers never act on the plain instance's objects and
# each test file can start and stop its own.
#
#   build       install etcd and kubectl (Debian), build kube-apiserver from the Go module k8s.io/kubernetes, fetch
#               the KEDA, ServiceMonitor, PrometheusRule and Istio CRDs from their Go modules; everything cached under
#               $KUBE_CACHE
#   up          start etcd and kube-apiserver (ours are reused when already running), wait for /readyz
#   down        stop both (only the processes this script started, by their pid files)
#   status      each server and each of its ports
#   env         print `export KUBECONFIG=…` and friends for eval
#   kubeconfig  print the admin kubeconfig's path
#
#   keda-build       `build`, then kube-controller-manager (same k8s.io/kubernetes module) and KEDA's operator and
#                    metrics adapter (one `go build` of both); cached like the apiserver
#   keda-up          the KEDA instance: etcd, kube-apiserver (with the aggregation layer), kube-controller-manager, the
#                    KEDA operator and the metrics adapter; waits until the APIService is Available
#   keda-down        stop those five (only ours) and drop the instance's etcd data
#   keda-status, keda-env, keda-kubeconfig   as status, env, kubeconfig, for the KEDA instance
#
# Why build: no registry this machine reaches ships these binaries, and Debian's kube-apiserver (1.20) serves no
# autoscaling/v2. Builds run niced, one at a time ($KUBE_CACHE/build.lock); wrap the script in the machine's shared
# heavy-job lock when other heavy jobs may run.
#
# Ports (checked free, or ours, before anything is built or started, and checked listening after the start), on
# 127.0.0.1 unless COUPONKILL_KUBE_HOST says otherwise: COUPONKILL_ETCD_PORT (23790, etcd clients),
# COUPONKILL_ETCD_PEER_PORT (23800, etcd peers) and COUPONKILL_APISERVER_PORT (16443, kube-apiserver HTTPS). The KEDA
# instance (run dir COUPONKILL_KEDA_RUN_DIR, default $KUBE_CACHE/run-keda): COUPONKILL_KEDA_ETCD_PORT (17379),
# COUPONKILL_KEDA_ETCD_PEER_PORT (17380), COUPONKILL_KEDA_APISERVER_PORT (17443), COUPONKILL_KCM_PORT (17257,
# kube-controller-manager HTTPS), COUPONKILL_KEDA_METRICS_PORT (17080) and COUPONKILL_KEDA_HEALTH_PORT (17081, the
# operator's /metrics and probes), COUPONKILL_KEDA_GRPC_PORT (17666, the operator's metrics gRPC service),
# COUPONKILL_KEDA_ADAPTER_PORT (17444, the adapter's HTTPS) and COUPONKILL_KEDA_ADAPTER_METRICS_PORT (17082, the
# adapter's /metrics, on every interface: it has no address flag). test/chart.int.ts runs a third, plain instance of
# its own (run dir $KUBE_CACHE/run-chart, ports 23791, 23801 and 16444) through those same variables.
set -euo pipefail

say() { echo "kube-env: $*" >&2; }
LIB="$(dirname "$0")/lib"
# shellcheck source=lib/host.sh
. "$LIB/host.sh"

K8S_VERSION="${COUPONKILL_K8S_VERSION:-1.30.14}" # Debian's etcd 3.4.23 is supported up to 1.30
KEDA_VERSION="${COUPONKILL_KEDA_VERSION:-v2.21.0}"
PROM_OPERATOR_VERSION="${COUPONKILL_PROM_OPERATOR_VERSION:-v0.75.0}"
HELM_VERSION="${COUPONKILL_HELM_VERSION:-v3.22.0}"
PROMETHEUS_VERSION="${COUPONKILL_PROMETHEUS_VERSION:-3.14.0}"
# Prometheus 3.x tags its Go module v0.3XY.Z for release 3.XY.Z.
PROMETHEUS_MODULE_VERSION="v0.$(echo "$PROMETHEUS_VERSION" | awk -F. '{ printf "%d%02d.%d", $1, $2, $3 }')"
ISTIO_API_VERSION="${COUPONKILL_ISTIO_API_VERSION:-v1.32.0}" # istio.io/api: a real tag that carries Istio's CRDs

COMMAND="${1:-}"
KUBE_CACHE="${COUPONKILL_KUBE_CACHE:-${COUPONKILL_HOME:-$HOME/.cache/couponkill}/kube}"
HOST="$(host_setting COUPONKILL_KUBE_HOST)"
CONNECT="$(connect_host "$HOST")"
if [[ $COMMAND == keda-* ]]; then
  INSTANCE=keda
  RUN_DIR="${COUPONKILL_KEDA_RUN_DIR:-$KUBE_CACHE/run-keda}"
  ETCD_VAR=COUPONKILL_KEDA_ETCD_PORT ETCD_PEER_VAR=COUPONKILL_KEDA_ETCD_PEER_PORT
  APISERVER_VAR=COUPONKILL_KEDA_APISERVER_PORT
  ETCD_PORT="$(port_setting $ETCD_VAR 17379)"
  ETCD_PEER_PORT="$(port_setting $ETCD_PEER_VAR 17380)"
  APISERVER_PORT="$(port_setting $APISERVER_VAR 17443)"
else
  INSTANCE=plain
  RUN_DIR="${COUPONKILL_KUBE_RUN_DIR:-$KUBE_CACHE/run}"
  ETCD_VAR=COUPONKILL_ETCD_PORT ETCD_PEER_VAR=COUPONKILL_ETCD_PEER_PORT APISERVER_VAR=COUPONKILL_APISERVER_PORT
  ETCD_PORT="$(port_setting $ETCD_VAR 23790)"
  ETCD_PEER_PORT="$(port_setting $ETCD_PEER_VAR 23800)"
  APISERVER_PORT="$(port_setting $APISERVER_VAR 16443)"
fi

# Each server's command line names a directory of this run directory: that is how a pid is known to be ours.
ETCD_MARKER="--data-dir $RUN_DIR/etcd-data"
APISERVER_MARKER="--cert-dir $RUN_DIR/pki"
ETCD_SPECS=("$ETCD_PORT|$ETCD_VAR|host|etcd clients" "$ETCD_PEER_PORT|$ETCD_PEER_VAR|host|etcd peers")
APISERVER_SPECS=("$APISERVER_PORT|$APISERVER_VAR|host|kube-apiserver")
KCM_SPECS=() KEDA_OPERATOR_SPECS=() ADAPTER_SPECS=()
if [ "$INSTANCE" = keda ]; then
  KCM_PORT="$(port_setting COUPONKILL_KCM_PORT 17257)"
  KEDA_METRICS_PORT="$(port_setting COUPONKILL_KEDA_METRICS_PORT 17080)"
  KEDA_HEALTH_PORT="$(port_setting COUPONKILL_KEDA_HEALTH_PORT 17081)"
  KEDA_GRPC_PORT="$(port_setting COUPONKILL_KEDA_GRPC_PORT 17666)"
  ADAPTER_PORT="$(port_setting COUPONKILL_KEDA_ADAPTER_PORT 17444)"
  ADAPTER_METRICS_PORT="$(port_setting COUPONKILL_KEDA_ADAPTER_METRICS_PORT 17082)"
  KCM_SPECS=("$KCM_PORT|COUPONKILL_KCM_PORT|host|kube-controller-manager")
  KEDA_OPERATOR_SPECS=("$KEDA_METRICS_PORT|COUPONKILL_KEDA_METRICS_PORT|host|KEDA operator metrics"
    "$KEDA_HEALTH_PORT|COUPONKILL_KEDA_HEALTH_PORT|host|KEDA operator probes"
    "$KEDA_GRPC_PORT|COUPONKILL_KEDA_GRPC_PORT|host|KEDA metrics gRPC service")
  ADAPTER_SPECS=("$ADAPTER_PORT|COUPONKILL_KEDA_ADAPTER_PORT|host|KEDA metrics adapter"
    "$ADAPTER_METRICS_PORT|COUPONKILL_KEDA_ADAPTER_METRICS_PORT|all|KEDA metrics adapter /metrics")
fi
distinct_ports "${ETCD_SPECS[@]}" "${APISERVER_SPECS[@]}" "${KCM_SPECS[@]}" "${KEDA_OPERATOR_SPECS[@]}" "${ADAPTER_SPECS[@]}"

APISERVER_BIN="$KUBE_CACHE/bin/kube-apiserver-v$K8S_VERSION"
KCM_BIN="$KUBE_CACHE/bin/kube-controller-manager-v$K8S_VERSION"
KEDA_OPERATOR_BIN="$KUBE_CACHE/bin/keda-operator-$KEDA_VERSION"
KEDA_ADAPTER_BIN="$KUBE_CACHE/bin/keda-adapter-$KEDA_VERSION"
HELM_BIN="$KUBE_CACHE/bin/helm-$HELM_VERSION"
PROMTOOL_BIN="$KUBE_CACHE/bin/promtool-$PROMETHEUS_MODULE_VERSION"
CRD_DIR="$KUBE_CACHE/crds"
KUBECONFIG_PATH="$RUN_DIR/admin.kubeconfig"
export GOMODCACHE="$KUBE_CACHE/go/mod" GOCACHE="$KUBE_CACHE/go/cache" GOFLAGS="-mod=mod"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" CGO_ENABLED=0

# shellcheck source=lib/kube-build.sh
. "$LIB/kube-build.sh"
# shellcheck source=lib/kube-pki.sh
. "$LIB/kube-pki.sh"
# shellcheck source=lib/keda-servers.sh
. "$LIB/keda-servers.sh"

install_os_packages() {
  # Any kubectl will do (Debian's is 1.20); do not fight another package that already provides one. flock: util-linux.
  install_missing etcd:etcd-server kubectl:kubernetes-client openssl:openssl curl:curl flock:util-linux
}

# The lock is taken only when something is missing: a cached build never waits for another script's build.
cmd_build() {
  install_os_packages
  [ -x "$APISERVER_BIN" ] || with_build_lock build_k8s "$APISERVER_BIN" kube-apiserver
  crds_fetched || with_build_lock fetch_crds
  say "ready: $APISERVER_BIN, CRDs in $CRD_DIR"
}

# Helm for the chart's tests (lint, template, install against the test kube-apiserver); promtool for the alerts'.
cmd_tools_build() {
  install_os_packages
  [ -x "$HELM_BIN" ] || with_build_lock build_helm
  [ -x "$PROMTOOL_BIN" ] || with_build_lock build_promtool
  say "ready: $HELM_BIN, $PROMTOOL_BIN"
}

keda_built() { [ -x "$APISERVER_BIN" ] && [ -x "$KCM_BIN" ] && [ -x "$KEDA_OPERATOR_BIN" ] && [ -x "$KEDA_ADAPTER_BIN" ]; }

cmd_keda_build() {
  cmd_build
  [ -x "$KCM_BIN" ] || with_build_lock build_k8s "$KCM_BIN" kube-controller-manager
  if [ ! -x "$KEDA_OPERATOR_BIN" ] || [ ! -x "$KEDA_ADAPTER_BIN" ]; then with_build_lock build_keda; fi
  say "ready: $KCM_BIN, $KEDA_OPERATOR_BIN, $KEDA_ADAPTER_BIN"
}

write_credentials() {
  mkdir -p "$RUN_DIR/pki"
  [ -s "$RUN_DIR/pki/sa.key" ] || openssl genrsa -out "$RUN_DIR/pki/sa.key" 2048 2>/dev/null
  [ -s "$RUN_DIR/pki/sa.pub" ] || openssl rsa -in "$RUN_DIR/pki/sa.key" -pubout -out "$RUN_DIR/pki/sa.pub" 2>/dev/null
  if [ ! -s "$RUN_DIR/tokens.csv" ]; then
    # token,user,uid,"groups": an admin, and an identity with only the operator's RBAC (bound by the tests).
    local admin_token operator_token
    admin_token="$(openssl rand -hex 24)"
    operator_token="$(openssl rand -hex 24)"
    printf '%s,admin,admin,"system:masters"\n%s,couponkill-operator-test,couponkill-operator-test,"system:authenticated"\n' \
      "$admin_token" "$operator_token" >"$RUN_DIR/tokens.csv"
  fi
  write_kubeconfig "$KUBECONFIG_PATH" admin "$(sed -n '1s/,.*//p' "$RUN_DIR/tokens.csv")"
  write_kubeconfig "$RUN_DIR/operator.kubeconfig" couponkill-operator-test "$(sed -n '2s/,.*//p' "$RUN_DIR/tokens.csv")"
  write_front_proxy_pki "$RUN_DIR/pki"
}

write_kubeconfig() {
  local path="$1" user="$2" token="$3"
  cat >"$path" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: couponkill-test
    cluster:
      server: https://$CONNECT:$APISERVER_PORT
      insecure-skip-tls-verify: true
users:
  - name: $user
    user:
      token: $token
contexts:
  - name: $user@couponkill-test
    context: {cluster: couponkill-test, user: $user, namespace: default}
current-context: $user@couponkill-test
EOF
}

apiserver_ready() {
  [ -s "$KUBECONFIG_PATH" ] || return 1
  local token
  token="$(sed -n '1s/,.*//p' "$RUN_DIR/tokens.csv")"
  [ "$(curl -sk -m 2 -H "Authorization: Bearer $token" "https://$CONNECT:$APISERVER_PORT/readyz" 2>/dev/null)" = ok ]
}

etcd_ready() { curl -s -m 2 "http://$CONNECT:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }

check_etcd() { server_check etcd "$RUN_DIR/etcd.pid" "$ETCD_MARKER" "$HOST" "${ETCD_SPECS[@]}"; }
check_apiserver() { server_check kube-apiserver "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER" "$HOST" "${APISERVER_SPECS[@]}"; }

cmd_up() {
  install_missing ss:iproute2
  # Every port first: a port someone else holds stops us before anything is built or started.
  check_etcd
  local etcd_state=$SERVER_STATE etcd_pid=$SERVER_PID
  check_apiserver
  local apiserver_state=$SERVER_STATE apiserver_pid=$SERVER_PID
  local kcm_state="" kcm_pid="" operator_state="" operator_pid="" adapter_state="" adapter_pid=""
  if [ "$INSTANCE" = keda ]; then
    require_aggregation_layer
    check_kcm
    kcm_state=$SERVER_STATE kcm_pid=$SERVER_PID
    check_keda_operator
    operator_state=$SERVER_STATE operator_pid=$SERVER_PID
    check_adapter
    adapter_state=$SERVER_STATE adapter_pid=$SERVER_PID
    keda_built || cmd_keda_build
  fi
  [ -x "$APISERVER_BIN" ] || cmd_build
  mkdir -p "$RUN_DIR"
  write_credentials
  case $etcd_state in
    stopped)
      say "starting etcd on $HOST:$ETCD_PORT"
      spawn etcd "$RUN_DIR/etcd.pid" "$ETCD_MARKER" "$RUN_DIR/etcd.log" \
        etcd --name couponkill-test --data-dir "$RUN_DIR/etcd-data" \
        --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$CONNECT:$ETCD_PORT" \
        --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$CONNECT:$ETCD_PEER_PORT" \
        --initial-cluster "couponkill-test=http://$CONNECT:$ETCD_PEER_PORT" \
        --quota-backend-bytes 2147483648 --unsafe-no-fsync
      etcd_pid=$SPAWNED_PID
      ;&
    starting) await_ports etcd "$etcd_pid" 30 "$HOST" "$RUN_DIR/etcd.log" "${ETCD_SPECS[@]}" ;;
  esac
  wait_until 30 etcd_ready || abort_started "etcd (pid $etcd_pid) is not healthy on $CONNECT:$ETCD_PORT (see $RUN_DIR/etcd.log)"
  case $apiserver_state in
    stopped)
      say "starting kube-apiserver v$K8S_VERSION on $HOST:$APISERVER_PORT"
      spawn kube-apiserver "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER" "$RUN_DIR/kube-apiserver.log" \
        "$APISERVER_BIN" --etcd-servers "http://$CONNECT:$ETCD_PORT" \
        --bind-address "$HOST" --advertise-address "$CONNECT" --secure-port "$APISERVER_PORT" \
        --cert-dir "$RUN_DIR/pki" --token-auth-file "$RUN_DIR/tokens.csv" --authorization-mode RBAC \
        --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$RUN_DIR/pki/sa.pub" \
        --service-account-signing-key-file "$RUN_DIR/pki/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
        --allow-privileged=true --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false \
        --storage-media-type application/json \
        --requestheader-client-ca-file "$RUN_DIR/pki/front-proxy-ca.crt" \
        --requestheader-allowed-names front-proxy-client --requestheader-username-headers X-Remote-User \
        --requestheader-group-headers X-Remote-Group --requestheader-extra-headers-prefix X-Remote-Extra- \
        --proxy-client-cert-file "$RUN_DIR/pki/front-proxy-client.crt" \
        --proxy-client-key-file "$RUN_DIR/pki/front-proxy-client.key"
      apiserver_pid=$SPAWNED_PID
      ;&
    starting) await_ports kube-apiserver "$apiserver_pid" 90 "$HOST" "$RUN_DIR/kube-apiserver.log" "${APISERVER_SPECS[@]}" ;;
  esac
  wait_until 90 apiserver_ready ||
    abort_started "kube-apiserver (pid $apiserver_pid) is not ready on $CONNECT:$APISERVER_PORT (see $RUN_DIR/kube-apiserver.log)"
  install_crds
  if [ "$INSTANCE" = keda ]; then
    keda_stack_up "$kcm_state" "$kcm_pid" "$operator_state" "$operator_pid" "$adapter_state" "$adapter_pid"
  fi
  say "up: KUBECONFIG=$KUBECONFIG_PATH"
}

install_crds() {
  crds_fetched || with_build_lock fetch_crds
  local f
  for f in "$CRD_DIR"/*.yaml; do
    kubectl --kubeconfig "$KUBECONFIG_PATH" apply --server-side --force-conflicts -f "$f" >/dev/null
  done
  # Istio's and the PrometheusRule CRDs are there for the chart's server-side dry runs (test/chart.int.ts).
  kubectl --kubeconfig "$KUBECONFIG_PATH" wait --for condition=Established --timeout 30s \
    crd/scaledobjects.keda.sh crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com \
    crd/virtualservices.networking.istio.io crd/destinationrules.networking.istio.io crd/gateways.networking.istio.io \
    crd/peerauthentications.security.istio.io crd/authorizationpolicies.security.istio.io >/dev/null
}

cmd_down() {
  [ "$INSTANCE" = plain ] || keda_stack_down
  stop_pidfile kube-apiserver "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER"
  stop_pidfile etcd "$RUN_DIR/etcd.pid" "$ETCD_MARKER"
  rm -rf "$RUN_DIR/etcd-data"
  say "down"
}

cmd_status() {
  status_report etcd "$RUN_DIR/etcd.pid" "$ETCD_MARKER" "$HOST" "${ETCD_SPECS[@]}"
  status_report kube-apiserver "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER" "$HOST" "${APISERVER_SPECS[@]}"
  [ "$INSTANCE" = plain ] || keda_stack_status
}

cmd_env() {
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
  echo "export COUPONKILL_KUBE_OPERATOR_KUBECONFIG=$RUN_DIR/operator.kubeconfig"
  echo "export COUPONKILL_KUBE_CRD_DIR=$CRD_DIR"
  echo "export COUPONKILL_HELM_BIN=$HELM_BIN"
  echo "export COUPONKILL_PROMTOOL_BIN=$PROMTOOL_BIN"
  # Helm's own homes inside the cache, so a test never reads or writes the user's ~/.config/helm.
  echo "export HELM_CACHE_HOME=$KUBE_CACHE/helm/cache HELM_CONFIG_HOME=$KUBE_CACHE/helm/config HELM_DATA_HOME=$KUBE_CACHE/helm/data"
  [ "$INSTANCE" = plain ] || echo "export COUPONKILL_KEDA_EXTERNAL_METRICS_API=$ADAPTER_APISERVICE"
}

case "$COMMAND" in
  build) cmd_build ;;
  keda-build) cmd_keda_build ;;
  tools-build) cmd_tools_build ;;
  up | keda-up) cmd_up ;;
  down | keda-down) cmd_down ;;
  status | keda-status) cmd_status ;;
  env | keda-env) cmd_env ;;
  kubeconfig | keda-kubeconfig) echo "$KUBECONFIG_PATH" ;;
  *)
    echo "usage: $0 build|tools-build|up|down|status|env|kubeconfig|keda-build|keda-up|keda-down|keda-status|keda-env|keda-kubeconfig" >&2
    exit 2
    ;;
esac
