#!/usr/bin/env bash
# The static checks, as CI and the Jenkinsfile's lint stage run them, on Node 24: types, lint, folder cycles, the
# Helm chart's copies of the operator's CRD and dashboards, formatting, and the Jenkinsfile. Needs node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/node.sh
ensure_node24

npx tsc -p tsconfig.json --noEmit
npx eslint . --max-warnings 0
node scripts/check-folder-cycles.mjs >/dev/null
node scripts/sync-chart.mjs --check >/dev/null # the Helm chart's copies of the CRD, its schema and the dashboards
npx prettier --check . --log-level warn
bash scripts/check-jenkinsfile.sh # the structural checker (one JVM) and npm-groovy-lint on the Jenkinsfile
