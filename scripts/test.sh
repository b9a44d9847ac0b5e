#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependencies, real Redis, MariaDB and RocketMQ on 127.0.0.1, static checks, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/node.sh
ensure_node24 # Node 24 LTS (the machine's, or the official binary from the npm registry)
ensure_node_modules
echo "== node $(node -v)"
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"
# RocketMQ's two JVMs take ~0.5 GiB: stopped afterwards if this run started them (its files stay cached).
# (grep reads the whole status: with -q it could stop early and break the pipe, which pipefail would count as "not running")
STARTED=()
trap 'for stop in "${STARTED[@]}"; do $stop || true; done' EXIT
if ! bash scripts/rocketmq.sh status | grep '^proxy: running' >/dev/null; then
  STARTED+=("bash scripts/rocketmq.sh down")
fi
bash scripts/rocketmq.sh up
eval "$(bash scripts/rocketmq.sh env)"
# Live configuration: rnacos (built once into the cache, ~20 min cold) and the Sentinel and Cluster topologies the gate
# switches between; stopped afterwards like RocketMQ when this run started them.
if ! bash scripts/nacos.sh status | grep '^rnacos: running' >/dev/null; then
  STARTED+=("bash scripts/nacos.sh down")
fi
if ! bash scripts/redis-topologies.sh status sentinel | grep '^redis primary: running' >/dev/null; then
  STARTED+=("bash scripts/redis-topologies.sh down sentinel")
fi
if ! bash scripts/redis-topologies.sh status cluster | grep '^redis cluster0: running' >/dev/null; then
  STARTED+=("bash scripts/redis-topologies.sh down cluster")
fi
bash scripts/nacos.sh up
eval "$(bash scripts/nacos.sh env)"
bash scripts/redis-topologies.sh up
eval "$(bash scripts/redis-topologies.sh env)"
# A MariaDB primary and its replica, for the event store's primary change.
if ! bash scripts/mariadb-replicas.sh status | grep '^MariaDB primary: running' >/dev/null; then
  STARTED+=("bash scripts/mariadb-replicas.sh down")
fi
bash scripts/mariadb-replicas.sh up
eval "$(bash scripts/mariadb-replicas.sh env)"
# Chromium for the web app's browser tests (OS package; playwright-core drives it, nothing downloads a browser).
bash scripts/chromium.sh up
eval "$(bash scripts/chromium.sh env)"

echo "== typecheck, lint, format, chart copies, Jenkinsfile"
bash scripts/check.sh

echo "== build (integration tests run the compiled CLI as a child process; read-api serves the built web app)"
npx tsc -p tsconfig.build.json
npx vite build --config web/vite.config.mts --logLevel warn
bash scripts/lint-openapi.sh # both APIs' OpenAPI documents, written from the build, linted (Redocly)

# kube-apiserver + etcd for test/operator.int.ts, and kube-controller-manager + KEDA for test/keda.int.ts (built once,
# cached under ~/.cache; cold: ~25 min on two cores)
bash scripts/kube-env.sh keda-build
# Helm and promtool for test/chart.int.ts and the alert checks (cached; cold: ~3 + ~2 min)
bash scripts/kube-env.sh tools-build
echo "== tests"
# Suites whose assertions compare latencies (a victim's login under a flood, admitted seckills' p99 in a stampede) run
# alone afterwards: beside another suite on two cores they would measure the neighbour, not the system. So does the
# drain test, whose bounds are on how soon readiness fails after SIGTERM.
# The Redis topology suites share the Sentinel and Cluster servers, and one kills the Sentinel primary: alone too.
ALONE=(test/auth-admission.int.ts test/seckill-stampede.int.ts test/reservation-fairness.int.ts test/shutdown-drain.int.ts
  test/redis-topology-switch.int.ts test/redis-sentinel-failover.int.ts)
if [ "$#" -gt 0 ]; then
  npx jest --ci --maxWorkers=2 "$@"
else
  # Two cores: integration files share one MariaDB and Redis, two workers keep both busy without thrashing.
  # Both passes run whatever the first one found, so one run reports every failure.
  rc=0
  npx jest --ci --maxWorkers=2 --testPathIgnorePatterns /node_modules/ "${ALONE[@]/#/\/}" || rc=$?
  npx jest --ci --runInBand --runTestsByPath "${ALONE[@]}" || rc=$?
  exit "$rc"
fi
