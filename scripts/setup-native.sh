#!/usr/bin/env bash
# Builds the oneDNN convolution addon (native/, node-gyp) that the wasm backend uses when present
# (docs/native.md).
#   scripts/setup-native.sh             `npm run setup:native`: apt-get install libdnnl-dev, then
#                                       build; fails loudly when the build fails.
#   scripts/setup-native.sh --optional  the npm `install` hook: builds when oneDNN's headers are
#                                       present, else prints one line and exits 0 (the product
#                                       runs on the wasm kernels alone, as without the addon).
# Either way the reason the addon is missing goes to native/build/status.txt, which
# `npx rvos backend` prints.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-setup}
BUILD_DIR=native/build
STATUS=$BUILD_DIR/status.txt
LOG=$BUILD_DIR/build.log

say_status() { mkdir -p "$BUILD_DIR" && echo "$1" > "$STATUS"; }

if [ "$MODE" != "--optional" ]; then
  if [ ! -f /usr/include/dnnl.hpp ]; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    echo "setup:native: installing libdnnl-dev (apt-get)"
    $SUDO apt-get install -y --no-install-recommends libdnnl-dev >/dev/null 2>&1 ||
      { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends libdnnl-dev >/dev/null 2>&1; } ||
      { say_status "oneDNN headers missing: apt-get install libdnnl-dev failed"; echo "setup:native: apt-get install libdnnl-dev failed" >&2; exit 1; }
  fi
fi

if [ ! -f /usr/include/dnnl.hpp ]; then
  say_status "oneDNN headers missing (run \`npm run setup:native\` to install libdnnl-dev and build)"
  echo "rvos: native convolutions not built (oneDNN headers missing; \`npm run setup:native\` builds them); using the wasm kernels"
  exit 0
fi

# node-gyp: the one npm runs install scripts with, else npm's bundled copy, else one on PATH.
GYP=${npm_config_node_gyp:-}
if [ -z "$GYP" ]; then
  NPM_DIR=$(dirname "$(readlink -f "$(command -v npm)")")/..
  if [ -f "$NPM_DIR/node_modules/node-gyp/bin/node-gyp.js" ]; then GYP="$NPM_DIR/node_modules/node-gyp/bin/node-gyp.js"; fi
fi
if [ -z "$GYP" ] && command -v node-gyp >/dev/null 2>&1; then GYP=$(command -v node-gyp); fi
if [ -z "$GYP" ]; then
  say_status "node-gyp not found (it comes with npm); install npm's node-gyp and run \`npm run setup:native\`"
  echo "rvos: native convolutions not built (node-gyp not found); using the wasm kernels"
  [ "$MODE" = "--optional" ] && exit 0 || exit 1
fi
# Node's own headers when they are installed beside it (Debian's nodejs, nodejs.org tarballs):
# no header download.
NODE_PREFIX=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
NODEDIR=()
if [ -f "$NODE_PREFIX/include/node/node_api.h" ]; then NODEDIR=(--nodedir="$NODE_PREFIX"); fi

# The log is written outside native/build, which `rebuild` deletes first.
TMP_LOG=$(mktemp)
if (cd native && node "$GYP" rebuild "${NODEDIR[@]}") > "$TMP_LOG" 2>&1 &&
  node -e "require(process.argv[1]).version()" "$PWD/$BUILD_DIR/Release/rvos_native.node" >> "$TMP_LOG" 2>&1; then
  mkdir -p "$BUILD_DIR" && mv "$TMP_LOG" "$LOG"
  rm -f "$STATUS"
  echo "rvos: native oneDNN convolutions built ($BUILD_DIR/Release/rvos_native.node)"
  exit 0
fi
mkdir -p "$BUILD_DIR" && mv "$TMP_LOG" "$LOG"
LAST=$(grep -m1 -iE "error" "$LOG" | cut -c1-160)
say_status "native build failed: ${LAST:-see native/build/build.log} (log: native/build/build.log)"
echo "rvos: native convolutions not built (build failed, see native/build/build.log); using the wasm kernels"
[ "$MODE" = "--optional" ] && exit 0 || exit 1
