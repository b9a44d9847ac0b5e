#!/usr/bin/env bash
# Deploys CouponKill with its Helm chart (deploy/helm/couponkill) to the cluster KUBECONFIG points at; the Jenkinsfile
# calls exactly these, and README "Deploying" describes the same steps by hand.
#
#   stable          apply the CRDs, then upgrade (or install) the stable release with the chart's current config,
#                   keeping the image it runs (a new image reaches stable only through `promote`); first install: IMAGE_TAG
#   canary WEIGHT   apply the CRDs, run IMAGE_TAG as <seckill>-canary and give it WEIGHT percent (0-100) of API traffic
#   promote         stable takes the canary's image; the canary is removed
#   rollback        all traffic back to stable at once and the canary removed (nothing to do without a release)
#   gate MINUTES    wait MINUTES, then compare the canary with stable over those minutes in Prometheus
#                   (COUPONKILL_PROMETHEUS_URL): fails when the canary's 5xx ratio (503 included) exceeds
#                   stable's by more than 1 percentage point, or its seckill p99 exceeds 1.5 x stable's
#
# Settings (environment): HELM_RELEASE (couponkill), KUBE_NAMESPACE (couponkill), IMAGE_REPOSITORY (where
# scripts/image.sh pushed the image; default the chart's), IMAGE_TAG (default the commit, git rev-parse --short=12 HEAD, as scripts/image.sh tags it),
# COUPONKILL_VALUES (values files of the stable release, relative to the chart; default values-prod.yaml; "" = the
# chart's defaults), COUPONKILL_HELM_BIN (helm), COUPONKILL_GATE_WAIT_SECONDS (gate's wait; default MINUTES x 60).
# Helm never waits for pods here (no --wait): the operator builds them after the release is stored.
set -euo pipefail

say() { echo "deploy: $*" >&2; }
die() {
  say "$*"
  exit 1
}

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CHART="$ROOT/deploy/helm/couponkill"
RELEASE="${HELM_RELEASE:-couponkill}"
NAMESPACE="${KUBE_NAMESPACE:-couponkill}"
HELM="${COUPONKILL_HELM_BIN:-helm}"
VALUES="${COUPONKILL_VALUES-values-prod.yaml}"

image_tag() {
  if [ -n "${IMAGE_TAG:-}" ]; then
    echo "$IMAGE_TAG"
  else
    git -C "$ROOT" rev-parse --short=12 HEAD
  fi
}

# Helm installs crds/ only on first install and never upgrades it; an old CRD would silently drop new spec fields.
apply_crds() {
  say "applying the CRDs (server-side)"
  kubectl apply --server-side --force-conflicts -f "$CHART/crds/" >/dev/null
}

release_exists() { "$HELM" status "$RELEASE" -n "$NAMESPACE" >/dev/null 2>&1; }

# One value of the stored release (all values, chart defaults included), "" when unset.
release_value() {
  "$HELM" get values "$RELEASE" -n "$NAMESPACE" --all -o json |
    node -e 'let t="";process.stdin.on("data",c=>t+=c).on("end",()=>{let v=JSON.parse(t);
      for (const k of process.argv[1].split(".")) v=v?.[k]; process.stdout.write(v==null?"":String(v))})' "$1"
}

upgrade() { "$HELM" upgrade "$RELEASE" "$CHART" -n "$NAMESPACE" "$@"; }

# --set-string KEY=$IMAGE_REPOSITORY when IMAGE_REPOSITORY is set, into the array REPOSITORY_ARGS.
repository_args() {
  REPOSITORY_ARGS=()
  if [ -n "${IMAGE_REPOSITORY:-}" ]; then REPOSITORY_ARGS=(--set-string "$1=$IMAGE_REPOSITORY"); fi
}

cmd_stable() {
  apply_crds
  local files=() f
  for f in $VALUES; do files+=(-f "$CHART/$f"); done
  if release_exists; then
    # The chart's new defaults, then what the release was given before (image, canary state), then the values files.
    say "upgrading $RELEASE in $NAMESPACE (image stays $(release_value image.tag))"
    repository_args image.repository
    upgrade --reset-then-reuse-values ${files[@]+"${files[@]}"} ${REPOSITORY_ARGS[@]+"${REPOSITORY_ARGS[@]}"}
  else
    say "installing $RELEASE in $NAMESPACE with image tag $(image_tag)"
    repository_args image.repository
    "$HELM" install "$RELEASE" "$CHART" -n "$NAMESPACE" --create-namespace ${files[@]+"${files[@]}"} \
      --set-string "image.tag=$(image_tag)" ${REPOSITORY_ARGS[@]+"${REPOSITORY_ARGS[@]}"}
  fi
}

cmd_canary() {
  local weight="${1:-}"
  if ! [[ $weight =~ ^[0-9]+$ ]] || [ "$weight" -gt 100 ]; then
    die "canary WEIGHT: a whole percent from 0 to 100, not '$weight'"
  fi
  release_exists || die "no release $RELEASE in $NAMESPACE: run 'deploy.sh stable' first"
  # Turning Istio on here would also turn on STRICT mTLS and the mesh-only API ingress for the whole release, in the
  # middle of a rollout: the mesh is part of the stable release's values (values-canary.yaml shows the keys).
  [ "$(release_value istio.enabled)" = true ] ||
    die "the canary's traffic split needs Istio: upgrade $RELEASE with istio.enabled=true (and its gateway hosts) first"
  apply_crds
  say "canary $(image_tag) at $weight %"
  repository_args canary.image.repository
  upgrade --reset-then-reuse-values --set canary.enabled=true --set-string "canary.image.tag=$(image_tag)" \
    ${REPOSITORY_ARGS[@]+"${REPOSITORY_ARGS[@]}"} --set "canary.weight=$weight"
}

cmd_promote() {
  release_exists || die "no release $RELEASE in $NAMESPACE"
  [ "$(release_value canary.enabled)" = true ] || die "no canary running in $RELEASE: nothing to promote"
  local tag repository
  tag="$(release_value canary.image.tag)"
  repository="$(release_value canary.image.repository)"
  [ -n "$tag" ] || die "the canary of $RELEASE has no canary.image.tag"
  apply_crds
  say "promoting $tag to stable"
  local args=(--set-string "image.tag=$tag" --set canary.enabled=false --set canary.weight=0)
  [ -z "$repository" ] || args+=(--set-string "image.repository=$repository")
  upgrade --reset-then-reuse-values "${args[@]}"
}

cmd_rollback() {
  if ! release_exists; then
    say "no release $RELEASE in $NAMESPACE: nothing to roll back"
    return 0
  fi
  say "rolling back: all traffic to stable, canary removed"
  upgrade --reset-then-reuse-values --set canary.weight=0 --set canary.enabled=false
}

# One PromQL instant query; prints the single value, or "" when the result is empty (no samples).
prom_query() {
  curl -fsS -m 30 "${COUPONKILL_PROMETHEUS_URL%/}/api/v1/query" --data-urlencode "query=$1" |
    node -e 'let t="";process.stdin.on("data",c=>t+=c).on("end",()=>{const r=JSON.parse(t);
      if (r.status!=="success") { console.error(r.error ?? t); process.exit(1) }
      const v=r.data.result[0]?.value?.[1]; process.stdout.write(v===undefined||v==="NaN"?"":v)})'
}

cmd_gate() {
  local minutes="${1:-}"
  [[ $minutes =~ ^[1-9][0-9]*$ ]] || die "gate MINUTES: a whole number of minutes (at least 1), not '$minutes'"
  [ -n "${COUPONKILL_PROMETHEUS_URL:-}" ] ||
    die "COUPONKILL_PROMETHEUS_URL is not set: the gate needs the Prometheus that scrapes $NAMESPACE (e.g. http://prometheus.monitoring:9090)"
  release_exists || die "no release $RELEASE in $NAMESPACE"
  local stable canary
  stable="$(release_value seckill.name)"
  stable="${stable:-$RELEASE}"
  canary="$stable-canary"
  local wait="${COUPONKILL_GATE_WAIT_SECONDS:-$((minutes * 60))}"
  say "gathering $minutes min of canary metrics (waiting ${wait}s)"
  sleep "$wait"
  local window="${minutes}m" sel="namespace=\"$NAMESPACE\",app_kubernetes_io_component=~\"write-api|read-api\""
  # Every 5xx, 503 included: stable and canary pods carry the same load each, so a canary that sheds, finds its
  # dependencies unavailable or is still recovering its gate more often than stable is a worse release.
  ratio() {
    prom_query "sum(rate(couponkill_http_requests_total{$sel,app_kubernetes_io_instance=\"$1\",status=~\"5..\"}[$window])) / sum(rate(couponkill_http_requests_total{$sel,app_kubernetes_io_instance=\"$1\"}[$window]))"
  }
  p99() {
    prom_query "histogram_quantile(0.99, sum by (le) (rate(couponkill_http_request_duration_seconds_bucket{$sel,app_kubernetes_io_instance=\"$1\",route=\"/api/v1/seckill/:couponId\"}[$window])))"
  }
  local canary_ratio stable_ratio canary_p99 stable_p99
  canary_ratio="$(ratio "$canary")"
  stable_ratio="$(ratio "$stable")"
  canary_p99="$(p99 "$canary")"
  stable_p99="$(p99 "$stable")"
  say "5xx ratio: canary ${canary_ratio:-none}, stable ${stable_ratio:-none}; seckill p99 (s): canary ${canary_p99:-none}, stable ${stable_p99:-none}"
  [ -n "$canary_ratio" ] || die "gate: no requests reached the canary $canary in $window: nothing to judge it by"
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  node -e '
    const [cr, sr, cp, sp] = process.argv.slice(1).map((v) => (v === "" ? undefined : Number(v)));
    const failures = [];
    if (cr > (sr ?? 0) + 0.01) failures.push(`5xx ratio ${cr} exceeds stable ${sr ?? 0} + 1 pp`);
    if (cp !== undefined && sp !== undefined && cp > sp * 1.5) failures.push(`seckill p99 ${cp}s exceeds 1.5 x stable ${sp}s`);
    if (failures.length) { console.error(`deploy: gate failed: ${failures.join("; ")}`); process.exit(1) }
    console.error("deploy: gate passed");
  ' "$canary_ratio" "$stable_ratio" "$canary_p99" "$stable_p99"
}

case "${1:-}" in
  stable) cmd_stable ;;
  canary) cmd_canary "${2:-}" ;;
  promote) cmd_promote ;;
  rollback) cmd_rollback ;;
  gate) cmd_gate "${2:-}" ;;
  *)
    echo "usage: $0 stable | canary WEIGHT | promote | rollback | gate MINUTES" >&2
    exit 2
    ;;
esac
