#!/usr/bin/env bash
# Quick start: installs what is missing (npm packages, Redis and MariaDB from the OS packages), prepares the schema and
# starts every role: the web app on http://localhost:8081/app/, write-api :8080, read-api :8081. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/node.sh
ensure_node24 # Node 24 LTS (the machine's, or the official binary from the npm registry)
ensure_node_modules
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

# The local databases outlive a checkout (they live under ~/.cache/couponkill), so the credentials written for them
# are kept beside them and reused by every checkout on this machine: a fresh clone logs in as the admin that exists.
SAVED="${COUPONKILL_HOME:-$HOME/.cache/couponkill}/quickstart.env"
if [ ! -f .env ]; then
  if [ ! -f "$SAVED" ]; then
    mkdir -p "$(dirname "$SAVED")"
    admin_password="$(node -e "process.stdout.write(require('crypto').randomBytes(12).toString('base64url'))")"
    (
      umask 077
      cat >"$SAVED" <<ENV
# Written by scripts/quickstart.sh for local use; never commit it.
COUPONKILL_JWT_SECRET=$(node -e "process.stdout.write(require('crypto').randomBytes(48).toString('base64url'))")
COUPONKILL_ADMIN_USERNAME=admin
COUPONKILL_ADMIN_PASSWORD=${admin_password}
COUPONKILL_REDIS_URL=${COUPONKILL_REDIS_URL}
COUPONKILL_EVENT_STORE_URL=${COUPONKILL_MYSQL_URL}/couponkill_events
ENV
    )
  fi
  cp "$SAVED" .env
  echo "quickstart: wrote .env (administrator 'admin', password $(grep ADMIN_PASSWORD .env | cut -d= -f2))" >&2
fi

npx tsc -p tsconfig.build.json
npx vite build --config web/vite.config.mts --logLevel warn
node bin/couponkill.js migrate >/dev/null
echo "quickstart: web app on http://localhost:8081/app/, write-api on :8080, read-api on :8081 (Ctrl-C stops it; credentials in .env)" >&2
exec node bin/couponkill.js all-in-one
