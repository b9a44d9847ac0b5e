# KEDA out of cluster for scripts/kube-env.sh (`keda-up`): kube-controller-manager, the KEDA operator and the KEDA
# metrics adapter, run as local processes against the instance's kube-apiserver with the admin kubeconfig. Sourced by
# kube-env.sh after it sets RUN_DIR, HOST, CONNECT, KUBECONFIG_PATH, the *_BIN paths and the KEDA port variables.
# shellcheck shell=bash

KEDA_NAMESPACE=keda
ADAPTER_SERVICE=keda-metrics-apiserver
ADAPTER_APISERVICE=v1beta1.external.metrics.k8s.io

# As for etcd and the apiserver, a directory of the run dir on the command line is what makes a pid ours.
KCM_MARKER="--cert-dir $RUN_DIR/kcm-certs"
KEDA_OPERATOR_MARKER="--cert-dir $RUN_DIR/keda-operator-certs"
ADAPTER_MARKER="--cert-dir $RUN_DIR/keda-adapter-certs"

check_kcm() { server_check kube-controller-manager "$RUN_DIR/kcm.pid" "$KCM_MARKER" "$HOST" "${KCM_SPECS[@]}"; }
check_keda_operator() {
  server_check keda-operator "$RUN_DIR/keda-operator.pid" "$KEDA_OPERATOR_MARKER" "$HOST" "${KEDA_OPERATOR_SPECS[@]}"
}
check_adapter() { server_check keda-adapter "$RUN_DIR/keda-adapter.pid" "$ADAPTER_MARKER" "$HOST" "${ADAPTER_SPECS[@]}"; }

kcm_ready() { [ "$(curl -sk -m 2 "https://$CONNECT:$KCM_PORT/healthz" 2>/dev/null)" = ok ]; }
keda_operator_ready() { [ "$(curl -s -m 2 "http://$CONNECT:$KEDA_HEALTH_PORT/readyz" 2>/dev/null)" = ok ]; }
adapter_available() {
  kubectl --kubeconfig "$KUBECONFIG_PATH" get apiservice "$ADAPTER_APISERVICE" \
    -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -qx True
}

# The apiserver must have been started with the aggregation-layer flags (an older kube-env.sh did not pass them).
require_aggregation_layer() {
  local pid
  pid="$(our_pid "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER")" || return 0
  [[ "$(pid_cmdline "$pid")" == *--proxy-client-cert-file* ]] ||
    die "kube-apiserver (pid $pid) runs without the aggregation-layer flags: \`$0 keda-down\`, then \`$0 keda-up\`"
}

# Only the controllers the tests need: horizontalpodautoscaling acts on KEDA's HPA (1 → N); deployment and replicaset
# keep a Deployment's status.replicas in step with its spec (the Pods they create stay Pending: no scheduler, no
# kubelet). The HPA divides the external metric by status.replicas; with no deployment controller it stays 0 and the
# HPA reports a garbage average. No garbage collector: tests check owner references instead. Short periods keep tests
# quick: the HPA syncs every 5 s and scales down after 15 s of lower recommendations (default 5 min).
start_kcm() {
  say "starting kube-controller-manager v$K8S_VERSION on $HOST:$KCM_PORT"
  mkdir -p "$RUN_DIR/kcm-certs"
  spawn kube-controller-manager "$RUN_DIR/kcm.pid" "$KCM_MARKER" "$RUN_DIR/kcm.log" \
    "$KCM_BIN" --kubeconfig "$KUBECONFIG_PATH" \
    --authentication-kubeconfig "$KUBECONFIG_PATH" --authorization-kubeconfig "$KUBECONFIG_PATH" \
    --bind-address "$HOST" --secure-port "$KCM_PORT" --cert-dir "$RUN_DIR/kcm-certs" \
    --controllers horizontalpodautoscaling,deployment,replicaset --leader-elect=false \
    --horizontal-pod-autoscaler-sync-period 5s --horizontal-pod-autoscaler-downscale-stabilization 15s
}

# Out of cluster: no webhook or APIService patching (this script owns the APIService), no leader election, every
# listener moved to the instance's ports. WATCH_NAMESPACE empty = every namespace.
start_keda_operator() {
  say "starting KEDA $KEDA_VERSION operator (gRPC metrics service on $HOST:$KEDA_GRPC_PORT)"
  keda_cert_dir "$RUN_DIR/pki" "$RUN_DIR/keda-operator-certs"
  spawn keda-operator "$RUN_DIR/keda-operator.pid" "$KEDA_OPERATOR_MARKER" "$RUN_DIR/keda-operator.log" \
    env KEDA_CLUSTER_OBJECT_NAMESPACE="$KEDA_NAMESPACE" POD_NAMESPACE="$KEDA_NAMESPACE" WATCH_NAMESPACE= \
    KUBECONFIG="$KUBECONFIG_PATH" \
    "$KEDA_OPERATOR_BIN" --kubeconfig "$KUBECONFIG_PATH" --cert-dir "$RUN_DIR/keda-operator-certs" \
    --metrics-bind-address "$HOST:$KEDA_METRICS_PORT" --health-probe-bind-address "$HOST:$KEDA_HEALTH_PORT" \
    --metrics-service-bind-address "$HOST:$KEDA_GRPC_PORT" --leader-elect=false \
    --enable-webhook-patching=false --enable-apiservice-patching=false --enable-cert-rotation=false \
    --ca-dir "$RUN_DIR/keda-operator-certs"
}

# The adapter serves external.metrics.k8s.io to the aggregator and asks the operator for each value over gRPC (mutual
# TLS with the shared certificate). Its /metrics listener (--port) binds every interface: it has no address flag.
start_adapter() {
  say "starting KEDA $KEDA_VERSION metrics adapter on $HOST:$ADAPTER_PORT"
  keda_cert_dir "$RUN_DIR/pki" "$RUN_DIR/keda-adapter-certs"
  spawn keda-adapter "$RUN_DIR/keda-adapter.pid" "$ADAPTER_MARKER" "$RUN_DIR/keda-adapter.log" \
    env KEDA_CLUSTER_OBJECT_NAMESPACE="$KEDA_NAMESPACE" POD_NAMESPACE="$KEDA_NAMESPACE" WATCH_NAMESPACE= \
    KUBECONFIG="$KUBECONFIG_PATH" \
    "$KEDA_ADAPTER_BIN" --kubeconfig "$KUBECONFIG_PATH" --lister-kubeconfig "$KUBECONFIG_PATH" \
    --authentication-kubeconfig "$KUBECONFIG_PATH" --authorization-kubeconfig "$KUBECONFIG_PATH" \
    --bind-address "$HOST" --secure-port "$ADAPTER_PORT" --cert-dir "$RUN_DIR/keda-adapter-certs" \
    --tls-cert-file "$RUN_DIR/keda-adapter-certs/tls.crt" --tls-private-key-file "$RUN_DIR/keda-adapter-certs/tls.key" \
    --metrics-service-address "$CONNECT:$KEDA_GRPC_PORT" --port "$ADAPTER_METRICS_PORT"
}

# Out of cluster the apiserver cannot reach a ClusterIP, but its aggregator resolves a Service of type ExternalName to
# https://<externalName>:<port> (k8s.io/apiserver/pkg/util/proxy.ResolveCluster), and checks endpoints only for
# ClusterIP Services: an ExternalName Service naming this host is how the APIService reaches the local adapter.
register_adapter() {
  local ca
  ca="$(base64 -w0 <"$RUN_DIR/pki/keda-ca.crt")"
  kubectl --kubeconfig "$KUBECONFIG_PATH" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: { name: $KEDA_NAMESPACE }
---
apiVersion: v1
kind: Service
metadata: { name: $ADAPTER_SERVICE, namespace: $KEDA_NAMESPACE }
spec:
  type: ExternalName
  externalName: $CONNECT
  ports: [{ name: https, port: $ADAPTER_PORT, protocol: TCP }]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: $ADAPTER_APISERVICE }
spec:
  group: external.metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  caBundle: $ca
  service: { name: $ADAPTER_SERVICE, namespace: $KEDA_NAMESPACE, port: $ADAPTER_PORT }
EOF
}

# `keda_stack_up <kcm state> <kcm pid> <operator state> <operator pid> <adapter state> <adapter pid>` (states from the
# checks, taken before anything was built or started).
keda_stack_up() {
  local kcm_state=$1 kcm_pid=$2 operator_state=$3 operator_pid=$4 adapter_state=$5 adapter_pid=$6
  write_keda_pki "$RUN_DIR/pki" "$CONNECT" "$ADAPTER_SERVICE" "$KEDA_NAMESPACE"
  case $kcm_state in
    stopped)
      start_kcm
      kcm_pid=$SPAWNED_PID
      ;&
    starting) await_ports kube-controller-manager "$kcm_pid" 60 "$HOST" "$RUN_DIR/kcm.log" "${KCM_SPECS[@]}" ;;
  esac
  wait_until 60 kcm_ready ||
    abort_started "kube-controller-manager (pid $kcm_pid) is not healthy on $CONNECT:$KCM_PORT (see $RUN_DIR/kcm.log)"
  case $operator_state in
    stopped)
      start_keda_operator
      operator_pid=$SPAWNED_PID
      ;&
    starting) await_ports keda-operator "$operator_pid" 60 "$HOST" "$RUN_DIR/keda-operator.log" "${KEDA_OPERATOR_SPECS[@]}" ;;
  esac
  wait_until 60 keda_operator_ready ||
    abort_started "the KEDA operator (pid $operator_pid) is not ready on $CONNECT:$KEDA_HEALTH_PORT (see $RUN_DIR/keda-operator.log)"
  case $adapter_state in
    stopped)
      start_adapter
      adapter_pid=$SPAWNED_PID
      ;&
    starting) await_ports keda-adapter "$adapter_pid" 60 "$HOST" "$RUN_DIR/keda-adapter.log" "${ADAPTER_SPECS[@]}" ;;
  esac
  register_adapter
  wait_until 60 adapter_available ||
    abort_started "APIService $ADAPTER_APISERVICE is not Available: the aggregator cannot reach the KEDA metrics adapter (pid $adapter_pid) on $CONNECT:$ADAPTER_PORT (see $RUN_DIR/keda-adapter.log)"
}

keda_stack_down() {
  stop_pidfile keda-adapter "$RUN_DIR/keda-adapter.pid" "$ADAPTER_MARKER"
  stop_pidfile keda-operator "$RUN_DIR/keda-operator.pid" "$KEDA_OPERATOR_MARKER"
  stop_pidfile kube-controller-manager "$RUN_DIR/kcm.pid" "$KCM_MARKER"
}

keda_stack_status() {
  status_report kube-controller-manager "$RUN_DIR/kcm.pid" "$KCM_MARKER" "$HOST" "${KCM_SPECS[@]}"
  status_report keda-operator "$RUN_DIR/keda-operator.pid" "$KEDA_OPERATOR_MARKER" "$HOST" "${KEDA_OPERATOR_SPECS[@]}"
  status_report keda-adapter "$RUN_DIR/keda-adapter.pid" "$ADAPTER_MARKER" "$HOST" "${ADAPTER_SPECS[@]}"
}
