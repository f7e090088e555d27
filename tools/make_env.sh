#!/usr/bin/env bash
# Create or update a virtual environment from one or more requirements files.
#
# usage: tools/make_env.sh VENV STAMP_NAME REQUIREMENTS [EDITABLE_DIR]
#
# Order matters: torch/torchvision first (mmcv compiles against them), then mmcv from the
# wheel cache or a C++20 source build (tools/build_mmcv.sh), then the rest of the file, then
# the subproject itself as an editable package. A stamp holding the hash of the inputs makes
# a second call return at once; editing requirements.txt or pyproject.toml reinstalls.
set -euo pipefail

venv=${1:?usage: make_env.sh VENV STAMP_NAME REQUIREMENTS [EDITABLE_DIR]}
name=${2:?}
req=${3:?}
editable=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}

inputs=("$req" "$here/make_env.sh" "$here/build_mmcv.sh")
[ -n "$editable" ] && inputs+=("$editable/pyproject.toml")
digest=$(cat "${inputs[@]}" | sha256sum | cut -c1-16)
stamp="$venv/.stamps/$name"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

start=$(date +%s)
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet)

# setuptools: torch 2.14 needs >= 77; mmcv's build and mmengine's `mmdet::` config scopes
# need pkg_resources, removed in 81.
"${pip[@]}" 'setuptools>=77,<81' wheel

pin() { grep -E "^$1==" "$req" | head -n 1 || true; }
torch_pins=$(pin torch; pin torchvision)
[ -n "$torch_pins" ] && "${pip[@]}" $torch_pins

mmcv=$(pin mmcv)
[ -n "$mmcv" ] && "$here/build_mmcv.sh" "$venv" "${mmcv#mmcv==}"

"${pip[@]}" -r "$req"
[ -n "$editable" ] && "${pip[@]}" --no-deps --no-build-isolation -e "$editable"

mkdir -p "$venv/.stamps"
echo "$digest" > "$stamp"
echo "environment $name ready in $venv ($(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1))"
