#!/usr/bin/env bash
# Installs what neurobridge needs on Debian/Ubuntu and builds it.
#   bash scripts/bootstrap.sh          # for running: libtorch, OpenBLAS, compilers
#   bash scripts/bootstrap.sh test     # + what the test suite uses (python3-torch for interop
#                                      # checks, chromium for the HTML report test, a one-node
#                                      # Slurm for the cluster executor's tests)
#   bash scripts/bootstrap.sh bench    # + PyTorch for the side-by-side benchmark
# As root it installs system packages itself; otherwise it prints the sudo line and stops.
# Each step prints one line; what the tools print goes to bootstrap.log (its last lines are
# shown when a step fails).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
NB_LOG="$PWD/bootstrap.log"
: >"$NB_LOG"
# shellcheck source=steps.sh
source scripts/steps.sh

need=(libtorch-dev libopenblas0-pthread g++ make python3)
case "$mode" in
  run) ;;
  test) need+=(python3-torch chromium) ;;
  bench) need+=(python3-torch) ;;
  *) echo "usage: bash scripts/bootstrap.sh [run|test|bench]" >&2; exit 2 ;;
esac

missing=()
if [ -z "${LIBTORCH:-}" ] || [ "$mode" != run ]; then
  for p in "${need[@]}"; do
    # With LIBTORCH set (a LibTorch download), the Debian libtorch packages are not needed.
    if [ -n "${LIBTORCH:-}" ] && [[ "$p" == libtorch-dev ]]; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "neurobridge: missing ${missing[*]} and no apt-get here: install libtorch (or set LIBTORCH to a LibTorch download) and OpenBLAS by hand" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "neurobridge needs system packages. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "then run this script again." >&2
    exit 1
  fi
  step "apt-get update" apt-get update -qq
  step "installing ${missing[*]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libtorch from Debian links the generic libblas.so.3: make sure it resolves to OpenBLAS
# (the reference BLAS is ~18x slower on our matmuls).
arch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
openblas="/usr/lib/$arch/openblas-pthread/libblas.so.3"
current="$(readlink -f "/usr/lib/$arch/libblas.so.3" 2>/dev/null || true)"
if [ -e "$openblas" ] && [ "$current" != "$(readlink -f "$openblas")" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    update-alternatives --set "libblas.so.3-$arch" "$openblas" >/dev/null
    update-alternatives --set "liblapack.so.3-$arch" "/usr/lib/$arch/openblas-pthread/liblapack.so.3" >/dev/null || true
  else
    echo "warning: libblas.so.3 is $current, not OpenBLAS. Fix: sudo update-alternatives --set libblas.so.3-$arch $openblas" >&2
  fi
fi

# npm dependencies: install when absent or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm dependencies (npm ci)" npm ci --no-audit --no-fund
fi

# Native addon: incremental when already configured (make rebuilds only what changed), full
# otherwise. `npm ci` itself does not build it: package.json sets "gypfile": false.
if [ -f build/Makefile ] && [ -f build/Release/neurobridge_native.node ]; then
  step "libtorch addon (incremental)" npx --no-install node-gyp build -j 2
else
  step "libtorch addon (full build, a few minutes)" npm run --silent build:native
fi
step "TypeScript" npm run --silent build:ts
# The Slurm executor's tests run against a real (one-node) Slurm; starting one needs root.
if [ "$mode" = test ]; then
  if [ "$(id -u)" -eq 0 ]; then
    step "local Slurm cluster (scripts/slurm-local.sh start)" bash scripts/slurm-local.sh start
  elif ! timeout 5 sinfo >/dev/null 2>&1; then
    echo "note: no Slurm answers; its tests will be skipped (as root: bash scripts/slurm-local.sh start)" >&2
  fi
fi
echo "neurobridge is built ($(node -p "require('./package.json').version")); log: $NB_LOG"
