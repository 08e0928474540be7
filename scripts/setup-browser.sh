#!/usr/bin/env bash
# Installs Debian's Chromium for the browser demo's tests (tests/browser, driven by playwright-core
# with executablePath /usr/bin/chromium). Debian's package only: no browser downloads
# (`npx playwright install` fetches its own builds, which this project never does).
# Safe to run again; exits non-zero when apt cannot install it (the tests then skip with a message).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  echo "setup-browser: $(chromium --version 2>/dev/null || echo /usr/bin/chromium) is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no apt-get here; install Chromium and set CHROMIUM_PATH to its executable" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "setup-browser: installing chromium (apt-get)"
$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
  { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }
echo "setup-browser: $(chromium --version)"
