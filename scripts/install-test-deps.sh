#!/usr/bin/env bash
# System packages the tests need beyond npm: Debian's ONNX checker (python3-onnx, run as /usr/bin/python3).
set -euo pipefail
if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then exit 0; fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-onnx >/dev/null
/usr/bin/python3 -c 'import onnx; print("python3-onnx", onnx.__version__)'
