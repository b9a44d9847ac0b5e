# Builds for scripts/kube-env.sh: the Go toolchain, kube-apiserver and kube-controller-manager (one k8s.io/kubernetes
# module setup), the KEDA operator and metrics adapter, Helm, and the CRDs (KEDA, ServiceMonitor, PrometheusRule, Istio). Sourced after kube-env.sh sets KUBE_CACHE,
# K8S_VERSION, KEDA_VERSION, PROM_OPERATOR_VERSION, CRD_DIR and the *_BIN paths.
# Every build is skipped when its binary is cached, runs niced, and holds $KUBE_CACHE/build.lock so that two scripts
# (two jest workers, say) never build at once: the second waits, then finds the binary. That lock is not the machine's
# shared heavy-job lock, which a caller may already hold around this script (taking it again here would deadlock).
# shellcheck shell=bash

GO_TOOLCHAIN_FALLBACK="1.22.12" # only to download modules when the machine has no go at all

# Whether version $1 (1.26.8) >= $2 (1.26.0).
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# The go a go.mod asks for: its `toolchain` line (go1.26.1 → 1.26.1), else its `go` line.
go_mod_needs() {
  local toolchain
  toolchain="$(sed -n 's/^toolchain go//p' "$1")"
  if [ -n "$toolchain" ]; then echo "$toolchain"; else sed -n 's/^go //p' "$1"; fi
}

# Sets GO_BIN to a go >= $1: the machine's when new enough; otherwise that exact release, fetched as the Go module
# golang.org/toolchain from the module proxy (what GOTOOLCHAIN does, which a go older than 1.21 cannot).
GO_BIN=""
resolve_go() {
  local need=$1 have="" arch dir zip
  if command -v go >/dev/null; then
    have="$(go env GOVERSION)"
    have="${have#go}"
    have="${have%% *}"
  fi
  if [ -n "$have" ] && version_ge "$have" "$need"; then
    GO_BIN="$(command -v go)"
    return 0
  fi
  dir="$KUBE_CACHE/toolchain/go$need"
  if [ ! -x "$dir/bin/go" ]; then
    install_missing unzip:unzip
    arch="$(dpkg --print-architecture)"
    zip="$KUBE_CACHE/toolchain/go$need.zip"
    mkdir -p "$KUBE_CACHE/toolchain"
    say "fetching Go go$need (module golang.org/toolchain) from the module proxy"
    curl -fsSL -o "$zip" "${GOPROXY%%,*}/golang.org/toolchain/@v/v0.0.1-go$need.linux-$arch.zip"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    unzip -q "$zip" -d "$dir.tmp"
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-go$need.linux-$arch" "$dir"
    rm -rf "$dir.tmp" "$zip"
  fi
  GO_BIN="$dir/bin/go"
}

# Always niced: builds share two cores with everything else. GOTOOLCHAIN=local: resolve_go chose the toolchain.
go_cmd() {
  [ -n "$GO_BIN" ] || resolve_go "$GO_TOOLCHAIN_FALLBACK"
  GOTOOLCHAIN=local nice -n 10 "$GO_BIN" "$@"
}

# The directory of a downloaded module: `module_dir k8s.io/kubernetes@v1.30.14`.
module_dir() { go_cmd mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'; }

# Runs a command holding the build lock (flock from util-linux; fd 9 stays private to this script).
with_build_lock() {
  mkdir -p "$KUBE_CACHE"
  (
    flock 9
    "$@"
  ) 9>"$KUBE_CACHE/build.lock"
}

# k8s.io/kubernetes ships its staging modules as `replace => ./staging/…`, which `go install` refuses: a throwaway
# module requires it and replaces each staging module by its published v0.Y.Z twin. Both binaries come from it.
K8S_MOD_DIR="$KUBE_CACHE/build/k8s-$K8S_VERSION"
k8s_module() {
  local staging="0.${K8S_VERSION#1.}" k8s_dir tools
  tools='package main

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)'
  # Written once per version; a module from before kube-controller-manager was added gets the import and a tidy.
  if [ -s "$K8S_MOD_DIR/go.sum" ] && [ "$(cat "$K8S_MOD_DIR/tools.go" 2>/dev/null)" = "$tools" ]; then
    resolve_go "$(go_mod_needs "$K8S_MOD_DIR/go.mod")"
    return 0
  fi
  mkdir -p "$K8S_MOD_DIR"
  k8s_dir="$(cd "$K8S_MOD_DIR" && module_dir "k8s.io/kubernetes@v$K8S_VERSION")"
  resolve_go "$(go_mod_needs "$k8s_dir/go.mod")"
  if [ ! -s "$K8S_MOD_DIR/go.mod" ]; then
    {
      echo "module couponkill.local/kube-apiserver-build"
      echo
      echo "go $(sed -n 's/^go //p' "$k8s_dir/go.mod")"
      echo
      echo "require k8s.io/kubernetes v$K8S_VERSION"
      echo
      sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 v'"$staging"'#p' "$k8s_dir/go.mod"
    } >"$K8S_MOD_DIR/go.mod"
  fi
  echo "$tools" >"$K8S_MOD_DIR/tools.go"
  (cd "$K8S_MOD_DIR" && go_cmd mod tidy)
}

# `build_k8s <binary path> <cmd name>`: kube-apiserver or kube-controller-manager, version-stamped like a release.
build_k8s() {
  local bin=$1 cmd=$2
  [ -x "$bin" ] && return 0
  k8s_module
  mkdir -p "$(dirname "$bin")"
  say "building $cmd v$K8S_VERSION (cold: 4-8 min on 2 cores; cached in $KUBE_CACHE/go)"
  (cd "$K8S_MOD_DIR" && go_cmd build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) \
      -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION" \
    -o "$bin.tmp" "k8s.io/kubernetes/cmd/$cmd")
  mv "$bin.tmp" "$bin"
}

# The go.mod of a throwaway module that builds another module's commands: that module's Go version and its `replace`
# and `exclude` lines (single-line and block forms alike), which `go install pkg@version` refuses to honour.
throwaway_go_mod() { # NAME SOURCE_GO_MOD
  echo "module couponkill.local/$1"
  echo
  echo "go $(sed -n 's/^go //p' "$2")"
  echo
  awk '/^(replace|exclude) \($/ { block = 1 } block { print; if ($0 ~ /^\)/) block = 0; next }
       /^(replace|exclude) / { print }' "$2"
}

# KEDA's go.mod has a `replace` and an `exclude`, so `go install …@v2.21.0` is refused: a throwaway module repeats
# them, takes both commands as `tool`s (which pins every dependency to KEDA's own versions), and one `go build`
# compiles both, so the packages they share compile once.
KEDA_MOD_DIR="$KUBE_CACHE/build/keda-$KEDA_VERSION"
build_keda() {
  [ -x "$KEDA_OPERATOR_BIN" ] && [ -x "$KEDA_ADAPTER_BIN" ] && return 0
  local keda_dir module=github.com/kedacore/keda/v2 out="$KEDA_MOD_DIR/out"
  mkdir -p "$KEDA_MOD_DIR" "$(dirname "$KEDA_OPERATOR_BIN")"
  keda_dir="$(cd "$KEDA_MOD_DIR" && module_dir "$module@$KEDA_VERSION")"
  resolve_go "$(go_mod_needs "$keda_dir/go.mod")"
  if grep -Eq '^\s*(replace|exclude)\b.*=>\s*\.' "$keda_dir/go.mod"; then
    die "KEDA $KEDA_VERSION's go.mod replaces a module by a local path: this build cannot repeat that"
  fi
  if [ ! -s "$KEDA_MOD_DIR/go.sum" ]; then
    throwaway_go_mod keda-build "$keda_dir/go.mod" >"$KEDA_MOD_DIR/go.mod"
    (cd "$KEDA_MOD_DIR" && go_cmd get -tool "$module/cmd/operator@$KEDA_VERSION" "$module/cmd/adapter@$KEDA_VERSION")
  fi
  say "building KEDA $KEDA_VERSION operator and metrics adapter (cold: ~15-20 min on 2 cores, ~3 GB RAM)"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$KEDA_MOD_DIR" && go_cmd build -trimpath -ldflags "-s -w -X $module/version.Version=$KEDA_VERSION" \
    -o "$out/" "$module/cmd/operator" "$module/cmd/adapter")
  mv "$out/operator" "$KEDA_OPERATOR_BIN"
  mv "$out/adapter" "$KEDA_ADAPTER_BIN"
}

# Helm's go.mod has no replace or exclude, so `go install …@version` builds it; the -X sets the version string a
# release carries (without it, `helm version` says v3.22).
build_helm() {
  [ -x "$HELM_BIN" ] && return 0
  local out="$KUBE_CACHE/build/helm-$HELM_VERSION" helm_dir
  mkdir -p "$out" "$(dirname "$HELM_BIN")"
  helm_dir="$(cd "$out" && module_dir "helm.sh/helm/v3@$HELM_VERSION")"
  resolve_go "$(go_mod_needs "$helm_dir/go.mod")"
  # Like Helm's own release build (its Makefile): the Kubernetes version `helm template` and `helm lint` assume without
  # a cluster is the client-go minor it was built with (otherwise 1.20, which a chart's kubeVersion may refuse).
  local client_go minor
  client_go="$(awk '$1 == "k8s.io/client-go" { print $2 }' "$helm_dir/go.mod")"
  minor="$(echo "$client_go" | cut -d. -f2)"
  [ -n "$minor" ] || die "no k8s.io/client-go version in $helm_dir/go.mod"
  local kube="-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  kube="$kube -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
  say "building helm $HELM_VERSION (cold: ~3 min on 2 cores)"
  (cd "$out" && GOFLAGS='' GOBIN="$out" go_cmd install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION $kube" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  mv "$out/helm" "$HELM_BIN"
}

# promtool checks and unit-tests the alerting rules. Prometheus' go.mod has `replace` and `exclude` lines, so, as for
# KEDA, a throwaway module repeats them and takes the command as a `tool`. `-tags remove_all_sd` leaves out every
# service-discovery SDK (plugins/plugin_*.go), which rule checking never uses: half the compile.
PROMTOOL_MOD_DIR="$KUBE_CACHE/build/promtool-$PROMETHEUS_MODULE_VERSION"
build_promtool() {
  [ -x "$PROMTOOL_BIN" ] && return 0
  local prom_dir module=github.com/prometheus/prometheus
  mkdir -p "$PROMTOOL_MOD_DIR" "$(dirname "$PROMTOOL_BIN")"
  prom_dir="$(cd "$PROMTOOL_MOD_DIR" && module_dir "$module@$PROMETHEUS_MODULE_VERSION")"
  resolve_go "$(go_mod_needs "$prom_dir/go.mod")"
  if [ ! -s "$PROMTOOL_MOD_DIR/go.sum" ]; then
    throwaway_go_mod promtool-build "$prom_dir/go.mod" >"$PROMTOOL_MOD_DIR/go.mod"
    (cd "$PROMTOOL_MOD_DIR" && go_cmd get -tool "$module/cmd/promtool@$PROMETHEUS_MODULE_VERSION")
  fi
  say "building promtool $PROMETHEUS_VERSION (cold: ~2 min on 2 cores once Go's module cache holds its sources)"
  (cd "$PROMTOOL_MOD_DIR" && go_cmd build -trimpath -tags remove_all_sd \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
    -o "$PROMTOOL_BIN.tmp" "$module/cmd/promtool")
  mv "$PROMTOOL_BIN.tmp" "$PROMTOOL_BIN"
}

# The CRD YAMLs ship inside the projects' Go module zips (the same files their releases publish). A version file per
# project refetches them when the version changes.
fetch_crds() {
  mkdir -p "$CRD_DIR"
  local dir
  if [ "$(cat "$CRD_DIR/.keda-version" 2>/dev/null)" != "$KEDA_VERSION" ]; then
    dir="$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
    rm -f "$CRD_DIR"/keda.sh_*.yaml "$CRD_DIR"/eventing.keda.sh_*.yaml
    cp "$dir"/config/crd/bases/*.yaml "$CRD_DIR/"
    echo "$KEDA_VERSION" >"$CRD_DIR/.keda-version"
  fi
  if [ "$(cat "$CRD_DIR/.prom-operator-version" 2>/dev/null)" != "$PROM_OPERATOR_VERSION" ]; then
    dir="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION")"
    cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
      "$dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" "$CRD_DIR/"
    echo "$PROM_OPERATOR_VERSION" >"$CRD_DIR/.prom-operator-version"
  fi
  if [ "$(cat "$CRD_DIR/.istio-version" 2>/dev/null)" != "$ISTIO_API_VERSION" ]; then
    dir="$(module_dir "istio.io/api@$ISTIO_API_VERSION")"
    cp "$dir/kubernetes/customresourcedefinitions.gen.yaml" "$CRD_DIR/istio.yaml"
    echo "$ISTIO_API_VERSION" >"$CRD_DIR/.istio-version"
  fi
  chmod -R u+w "$CRD_DIR"
}

crds_fetched() {
  [ "$(cat "$CRD_DIR/.keda-version" 2>/dev/null)" = "$KEDA_VERSION" ] &&
    [ "$(cat "$CRD_DIR/.prom-operator-version" 2>/dev/null)" = "$PROM_OPERATOR_VERSION" ] &&
    [ "$(cat "$CRD_DIR/.istio-version" 2>/dev/null)" = "$ISTIO_API_VERSION" ] &&
    [ -s "$CRD_DIR/monitoring.coreos.com_servicemonitors.yaml" ] &&
    [ -s "$CRD_DIR/monitoring.coreos.com_prometheusrules.yaml" ] && [ -s "$CRD_DIR/istio.yaml" ]
}
