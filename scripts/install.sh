#!/usr/bin/env bash
# Node 24 and the locked npm packages, exactly as `npm test` (scripts/test.sh) gets them, so a pipeline's install step
# leaves node_modules in the state the test run accepts instead of one it reinstalls (it reinstalls packages installed
# under another Node, since native addons such as @swc/core's are picked per Node ABI).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/node.sh
ensure_node24
ensure_node_modules
echo "== node $(node -v), packages installed"
