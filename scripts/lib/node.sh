# Node 24 LTS for the scripts that build and test: the machine's node when it is 24, else the official binary from the
# npm registry package node-linux-<arch> (the binary Node's own downloads ship), cached once per version under
# ~/.cache/couponkill/node.
# shellcheck shell=bash

NODE24_VERSION="${COUPONKILL_NODE_VERSION:-24.22.3}"

# Puts Node $NODE24_VERSION first on PATH (a major 24 already there is kept as it is).
ensure_node24() {
  local major arch dir
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$major" = 24 ] && return 0
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *)
      echo "node: no Node 24 package for $(uname -m)" >&2
      exit 1
      ;;
  esac
  dir="${COUPONKILL_HOME:-$HOME/.cache/couponkill}/node/$NODE24_VERSION-$arch"
  if [ ! -x "$dir/node_modules/node-linux-$arch/bin/node" ]; then
    echo "node: fetching Node $NODE24_VERSION (npm package node-linux-$arch) into $dir" >&2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    npm install --prefix "$dir.tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-linux-$arch@$NODE24_VERSION"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  export PATH="$dir/node_modules/node-linux-$arch/bin:$PATH"
  if [ "$(node -v)" != "v$NODE24_VERSION" ]; then
    echo "node: Node $NODE24_VERSION is not first on PATH after installing it ($(node -v))" >&2
    exit 1
  fi
}

# Installs the locked packages when node_modules is missing, older than the lock, or was installed under another Node
# (native addons such as @swc/core's binding are picked per Node version and ABI at install time).
ensure_node_modules() {
  local stamp=node_modules/.couponkill-node-version
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
    [ "$(cat "$stamp" 2>/dev/null)" != "$(node -v)" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    node -v >"$stamp"
  fi
}
