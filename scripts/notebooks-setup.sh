#!/usr/bin/env bash
# Installs what the notebooks need and registers their kernel:
# - Jupyter's nbconvert/nbclient from Debian (PyPI is not reachable; Jupyter lives in /usr/bin/python3),
# - the tslab kernel "rvos-tslab" (tslab itself is an npm devDependency), started in this
#   repository's root so notebooks import ./notebooks/lib/... and the library's ./src/....
# Safe to run again (re-registers the kernel for this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(jupyter-nbconvert python3-nbclient jupyter-client jupyter-core python3-ipython)
if ! /usr/bin/python3 -c 'import nbconvert, nbclient, jupyter_client' >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "notebooks:setup: installing ${PACKAGES[*]} (apt-get)"
  $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null ||
    { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null; }
fi

if [ ! -x node_modules/.bin/tslab ]; then
  echo "notebooks:setup: node_modules/.bin/tslab is missing; run npm install first" >&2
  exit 1
fi

SPEC_DIR=$(mktemp -d)
trap 'rm -rf "$SPEC_DIR"' EXIT
node scripts/notebooks-check.mjs --kernel-spec "$SPEC_DIR/rvos-tslab"
/usr/bin/jupyter kernelspec install --user --replace --name rvos-tslab "$SPEC_DIR/rvos-tslab" >/dev/null 2>&1
echo "notebooks:setup: kernel 'TypeScript (rvos, tslab)' (rvos-tslab) registered, working directory $(pwd)"
echo "notebooks:setup: run the notebooks headless with npm run notebooks:check"
