#!/usr/bin/env bash
# Writes both APIs' OpenAPI 3.1 documents from the built code (run `npm run build` first) to dist/openapi/ and lints
# them with Redocly CLI (scripts/redocly.yaml: the recommended rules, warnings as errors; offline, no telemetry).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p dist/openapi
for api in write read; do
  node bin/couponkill.js openapi --api "$api" >"dist/openapi/$api-api.json"
done
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
  npx --no-install redocly lint --config scripts/redocly.yaml --format stylish \
  dist/openapi/write-api.json dist/openapi/read-api.json
