#!/usr/bin/env bash
# Installs the PyTorch peer's runtime for `npm run bench -- speed`: Debian's python3-torch and
# python3-torchvision (PyTorch 1.13 on Debian 12), run as /usr/bin/python3. Debian's packages only:
# no pip downloads. The peer script itself is not part of this repository: point RVOS_TORCH_PEER
# at it (torch_rvos.py) when running the bench; without it the peer rows say they are skipped.
# Safe to run again; exits non-zero when apt cannot install them.
set -euo pipefail
if /usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1; then
  echo "setup-bench: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-bench: no apt-get here; install PyTorch and torchvision for /usr/bin/python3" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "setup-bench: installing python3-torch python3-torchvision (apt-get)"
$SUDO apt-get install -y python3-torch python3-torchvision >/dev/null 2>&1 ||
  { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y python3-torch python3-torchvision >/dev/null 2>&1; }
echo "setup-bench: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
