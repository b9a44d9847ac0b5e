#!/usr/bin/env bash
# A real kube-apiserver + etcd on 127.0.0.1 for the operator's integration tests, the way controller-runtime's envtest
# runs them: no kubelet, no controllers (so no pods and no garbage collector), just the API.
#
#   build       install etcd and kubectl (Debian), build kube-apiserver from the Go module k8s.io/kubernetes, fetch
#               the KEDA and ServiceMonitor CRDs from their Go modules; everything cached under $KUBE_CACHE
#   up          start etcd and kube-apiserver (ours are reused when already running), wait for /readyz
#   down        stop both (only the processes this script started, by their pid files)
#   status      each server and each of its ports
#   env         print `export KUBECONFIG=…` and friends for eval
#   kubeconfig  print the admin kubeconfig's path
#
# Why build: no registry this machine reaches ships a kube-apiserver binary, and Debian's own (1.20) serves no
# autoscaling/v2. k8s.io/kubernetes ships its staging modules as `replace => ./staging/…`, which `go install` refuses,
# so a throwaway module requires it and replaces every staging module by its published v0.Y.Z twin.
#
# Ports (checked free, or ours, before anything is built or started, and checked listening after the start), on
# 127.0.0.1 unless COUPONKILL_KUBE_HOST says otherwise: COUPONKILL_ETCD_PORT (23790, etcd clients),
# COUPONKILL_ETCD_PEER_PORT (23800, etcd peers) and COUPONKILL_APISERVER_PORT (16443, kube-apiserver HTTPS).
set -euo pipefail

say() { echo "kube-env: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

K8S_VERSION="${COUPONKILL_K8S_VERSION:-1.30.14}" # Debian's etcd 3.4.23 is supported up to 1.30
KEDA_VERSION="${COUPONKILL_KEDA_VERSION:-v2.14.0}"
PROM_OPERATOR_VERSION="${COUPONKILL_PROM_OPERATOR_VERSION:-v0.75.0}"
GO_TOOLCHAIN_FALLBACK="go1.22.12" # only when the machine has no go >= 1.22

KUBE_CACHE="${COUPONKILL_KUBE_CACHE:-${COUPONKILL_HOME:-$HOME/.cache/couponkill}/kube}"
RUN_DIR="${COUPONKILL_KUBE_RUN_DIR:-$KUBE_CACHE/run}"
HOST="$(host_setting COUPONKILL_KUBE_HOST)"
CONNECT="$(connect_host "$HOST")"
ETCD_PORT="$(port_setting COUPONKILL_ETCD_PORT 23790)"
ETCD_PEER_PORT="$(port_setting COUPONKILL_ETCD_PEER_PORT 23800)"
APISERVER_PORT="$(port_setting COUPONKILL_APISERVER_PORT 16443)"

# Each server's command line names a directory of this run directory: that is how a pid is known to be ours.
ETCD_MARKER="--data-dir $RUN_DIR/etcd-data"
APISERVER_MARKER="--cert-dir $RUN_DIR/pki"
ETCD_SPECS=("$ETCD_PORT|COUPONKILL_ETCD_PORT|host|etcd clients" "$ETCD_PEER_PORT|COUPONKILL_ETCD_PEER_PORT|host|etcd peers")
APISERVER_SPECS=("$APISERVER_PORT|COUPONKILL_APISERVER_PORT|host|kube-apiserver")
distinct_ports "${ETCD_SPECS[@]}" "${APISERVER_SPECS[@]}"

APISERVER_BIN="$KUBE_CACHE/bin/kube-apiserver-v$K8S_VERSION"
CRD_DIR="$KUBE_CACHE/crds"
export GOMODCACHE="$KUBE_CACHE/go/mod" GOCACHE="$KUBE_CACHE/go/cache" GOFLAGS="-mod=mod"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" CGO_ENABLED=0

install_os_packages() {
  # Any kubectl will do (Debian's is 1.20); do not fight another package that already provides one.
  install_missing etcd:etcd-server kubectl:kubernetes-client openssl:openssl curl:curl
}

# k8s 1.30 needs go >= 1.22. The machine's go is used when new enough; otherwise the Go toolchain itself is fetched
# as the Go module golang.org/toolchain from the module proxy (what GOTOOLCHAIN does, which go < 1.21 cannot).
# Always niced: the build shares two cores with everything else.
GO_BIN=""
resolve_go() {
  [ -n "$GO_BIN" ] && return 0
  local minor=0
  if command -v go >/dev/null; then minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"; fi
  if [ "${minor:-0}" -ge 22 ]; then
    GO_BIN="$(command -v go)"
    return 0
  fi
  local dir="$KUBE_CACHE/toolchain/$GO_TOOLCHAIN_FALLBACK"
  if [ ! -x "$dir/bin/go" ]; then
    install_missing unzip:unzip
    local arch zip="$KUBE_CACHE/toolchain/$GO_TOOLCHAIN_FALLBACK.zip"
    arch="$(dpkg --print-architecture)"
    mkdir -p "$KUBE_CACHE/toolchain"
    say "fetching Go $GO_TOOLCHAIN_FALLBACK (module golang.org/toolchain) from the module proxy"
    curl -fsSL -o "$zip" "${GOPROXY%%,*}/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN_FALLBACK.linux-$arch.zip"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    unzip -q "$zip" -d "$dir.tmp"
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN_FALLBACK.linux-$arch" "$dir"
    rm -rf "$dir.tmp" "$zip"
  fi
  GO_BIN="$dir/bin/go"
}

go_cmd() {
  resolve_go
  GOTOOLCHAIN=local nice -n 10 "$GO_BIN" "$@"
}

build_apiserver() {
  [ -x "$APISERVER_BIN" ] && return 0
  local mod_dir="$KUBE_CACHE/build/k8s-$K8S_VERSION" staging="0.${K8S_VERSION#1.}"
  mkdir -p "$mod_dir" "$KUBE_CACHE/bin"
  say "building kube-apiserver v$K8S_VERSION (cold: 4-8 min on 2 cores; cached in $KUBE_CACHE/go)"
  local k8s_dir
  k8s_dir="$(cd "$mod_dir" && go_cmd mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  {
    echo "module couponkill.local/kube-apiserver-build"
    echo
    echo "go $(sed -n 's/^go //p' "$k8s_dir/go.mod")"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 v'"$staging"'#p' "$k8s_dir/go.mod"
  } >"$mod_dir/go.mod"
  printf 'package main\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' >"$mod_dir/tools.go"
  (cd "$mod_dir" && go_cmd mod tidy)
  (cd "$mod_dir" && go_cmd build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) \
      -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION" \
    -o "$APISERVER_BIN.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$APISERVER_BIN.tmp" "$APISERVER_BIN"
}

# The CRD YAMLs ship inside the projects' Go module zips (the same files their releases publish).
fetch_crds() {
  mkdir -p "$CRD_DIR"
  local dir
  if [ ! -s "$CRD_DIR/keda.sh_scaledobjects.yaml" ]; then
    dir="$(go_cmd mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    cp "$dir/config/crd/bases/keda.sh_scaledobjects.yaml" "$dir/config/crd/bases/keda.sh_triggerauthentications.yaml" "$CRD_DIR/"
  fi
  if [ ! -s "$CRD_DIR/monitoring.coreos.com_servicemonitors.yaml" ]; then
    dir="$(go_cmd mod download -json "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION" |
      sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$CRD_DIR/"
  fi
  chmod -R u+w "$CRD_DIR"
}

cmd_build() {
  install_os_packages
  build_apiserver
  fetch_crds
  say "ready: $APISERVER_BIN, CRDs in $CRD_DIR"
}

KUBECONFIG_PATH="$RUN_DIR/admin.kubeconfig"

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
        --storage-media-type application/json
      apiserver_pid=$SPAWNED_PID
      ;&
    starting) await_ports kube-apiserver "$apiserver_pid" 90 "$HOST" "$RUN_DIR/kube-apiserver.log" "${APISERVER_SPECS[@]}" ;;
  esac
  wait_until 90 apiserver_ready ||
    abort_started "kube-apiserver (pid $apiserver_pid) is not ready on $CONNECT:$APISERVER_PORT (see $RUN_DIR/kube-apiserver.log)"
  install_crds
  say "up: KUBECONFIG=$KUBECONFIG_PATH"
}

install_crds() {
  [ -d "$CRD_DIR" ] || fetch_crds
  local f
  for f in "$CRD_DIR"/*.yaml; do
    kubectl --kubeconfig "$KUBECONFIG_PATH" apply --server-side --force-conflicts -f "$f" >/dev/null
  done
  kubectl --kubeconfig "$KUBECONFIG_PATH" wait --for condition=Established --timeout 30s \
    crd/scaledobjects.keda.sh crd/servicemonitors.monitoring.coreos.com >/dev/null
}


cmd_down() {
  stop_pidfile kube-apiserver "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER"
  stop_pidfile etcd "$RUN_DIR/etcd.pid" "$ETCD_MARKER"
  rm -rf "$RUN_DIR/etcd-data"
  say "down"
}

cmd_status() {
  status_report etcd "$RUN_DIR/etcd.pid" "$ETCD_MARKER" "$HOST" "${ETCD_SPECS[@]}"
  status_report kube-apiserver "$RUN_DIR/kube-apiserver.pid" "$APISERVER_MARKER" "$HOST" "${APISERVER_SPECS[@]}"
}

cmd_env() {
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
  echo "export COUPONKILL_KUBE_OPERATOR_KUBECONFIG=$RUN_DIR/operator.kubeconfig"
  echo "export COUPONKILL_KUBE_CRD_DIR=$CRD_DIR"
}

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  *)
    echo "usage: $0 build|up|down|status|env|kubeconfig" >&2
    exit 2
    ;;
esac
