#!/usr/bin/env bash
# Install mmcv (full, with compiled ops) into a venv that already holds torch.
#
# mmcv 2.x publishes no wheel for torch >= 2.2, and its sdist does not build on torch >= 2.10:
# setup.py passes -std=c++14 / -std=c++17 while the torch headers require C++20. We build the
# PyPI sdist with every such flag raised to -std=c++20 and cache the wheel outside the repo,
# keyed by (mmcv, torch, python, CUDA-or-CPU), so the next environment installs it in seconds.
#
# usage: tools/build_mmcv.sh VENV [MMCV_VERSION]
# env:   MMCV_WHEEL_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/ml-monorepo/wheels)
#        MAX_JOBS         compile parallelism (default: number of cores)
set -euo pipefail

venv=${1:?usage: build_mmcv.sh VENV [MMCV_VERSION]}
version=${2:-2.0.1}
py="$venv/bin/python"
cache_root=${MMCV_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ml-monorepo/wheels}

if "$py" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$version')" 2>/dev/null; then
  echo "mmcv $version with ops already installed in $venv"
  exit 0
fi

# The key names everything the compiled ops depend on. CUDA ops are built when the build
# machine has a GPU (mmcv's own rule) or FORCE_CUDA=1; otherwise the wheel holds CPU ops only.
key=$("$py" - "$version" <<'PY'
import os, sys, torch
cuda = torch.cuda.is_available() or os.environ.get("FORCE_CUDA") == "1"
device = f"cu{torch.version.cuda.replace('.', '')}" if cuda and torch.version.cuda else "cpu"
print(f"mmcv{sys.argv[1]}-torch{torch.__version__.split('+')[0]}-py{sys.version_info[0]}{sys.version_info[1]}-{device}")
PY
)
cache="$cache_root/$key"
wheel=$(ls "$cache"/mmcv-*.whl 2>/dev/null | head -n 1 || true)

if [ -z "$wheel" ]; then
  echo "building mmcv $version ($key); about 10 min on 2 cores"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$py" -m pip install --quiet ninja 'setuptools>=77,<81' wheel
  # Fetch the sdist (pip only runs its metadata step here, which needs no compiler flags).
  "$py" -m pip download --quiet --no-deps --no-binary mmcv --no-build-isolation \
      "mmcv==$version" -d "$work"
  sdist=$(ls "$work"/mmcv-"$version".tar.gz 2>/dev/null || true)
  [ -n "$sdist" ] || { echo "could not download the mmcv $version sdist" >&2; exit 1; }
  tar -xzf "$sdist" -C "$work"
  src="$work/mmcv-$version"
  sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$src/setup.py"
  grep -q -- '-std=c++20' "$src/setup.py" || { echo "no C++ standard flag found in mmcv setup.py" >&2; exit 1; }
  mkdir -p "$cache"
  start=$(date +%s)
  ( cd "$src" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$py" -m pip wheel --no-build-isolation --no-deps -w "$cache" . )
  echo "built mmcv $version in $(( $(date +%s) - start )) s -> $cache"
  wheel=$(ls "$cache"/mmcv-*.whl | head -n 1)
fi

"$py" -m pip install --quiet --no-deps "$wheel"
"$py" -m pip install --quiet "mmcv==$version"   # its pure-Python dependencies (addict, yapf, ...)
"$py" -c "import mmcv.ops; print('mmcv', mmcv.__version__, 'ops ok')"
