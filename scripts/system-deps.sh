#!/usr/bin/env bash
# Debian packages the project builds with and the test suite uses as independent references and
# real clients: a C compiler and OpenBLAS (the native CPU backend, compiled by `npm ci`; the pthread
# OpenBLAS also becomes the libblas.so.3 PyTorch runs, instead of the unoptimised reference BLAS),
# PyTorch (numerical parity), jupyter_kernel_test (protocol conformance), nbclient (a real notebook
# client), Chromium (the HTML report renders), redis-server and openssl (the sweep tests start their
# own Redis, one with TLS), strace (checkpoint fsync order); and bubblewrap, the HumanEval sandbox
# (evaluation refuses to run model-written code without it). Installs only what is missing.
set -euo pipefail
pkgs=(gcc libc6-dev pkg-config libopenblas-dev libopenblas0-pthread)
pkgs+=(python3-torch python3-numpy python3-jupyter-kernel-test python3-nbclient chromium bubblewrap redis-server openssl strace)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
