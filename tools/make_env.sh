#!/usr/bin/env bash
# Create or update a virtual environment from a requirements file.
#
# usage: tools/make_env.sh VENV STAMP_NAME REQUIREMENTS [EDITABLE_DIR]
#
# System packages a subproject needs (e.g. CJK fonts) are listed one per line in
# EDITABLE_DIR/apt.txt (the Binder convention) and installed with apt-get when missing.
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
[ -n "$editable" ] && [ -f "$editable/apt.txt" ] && inputs+=("$editable/apt.txt")
digest=$(cat "${inputs[@]}" | sha256sum | cut -c1-16)
stamp="$venv/.stamps/$name"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

start=$(date +%s)
if [ -n "$editable" ] && [ -f "$editable/apt.txt" ]; then
  missing=()
  for package in $(sed 's/#.*//' "$editable/apt.txt"); do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
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
