#!/usr/bin/env bash
# Chromium for the browser tests (test/web-app.int.ts), from the OS packages like Redis and MariaDB. playwright-core
# drives it through COUPONKILL_CHROMIUM and never downloads a browser.
#   up     install chromium (and a font, so pages render text) when missing
#   env    print COUPONKILL_CHROMIUM=… for eval
set -euo pipefail
say() { echo "chromium: $*" >&2; }
# shellcheck source=lib/host.sh
. "$(dirname "$0")/lib/host.sh"

case "${1:-up}" in
  up)
    install_missing chromium:chromium fc-list:fontconfig
    fc-list 2>/dev/null | grep -qi 'liberation\|dejavu' || {
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-liberation >/dev/null
    }
    say "$(chromium --version 2>/dev/null | head -1)"
    ;;
  env) echo "export COUPONKILL_CHROMIUM=$(command -v chromium || echo /usr/bin/chromium)" ;;
  *) die "usage: $0 up|env" ;;
esac
