#!/usr/bin/env bash
# The download tests against every huggingface_hub the hosts ship (tests/README.md, "Unit layer"):
# lib_accelerator/download/transfer.py promises 0.20 to 2.x, and the client's behaviour on redirects,
# Range and errors changed several times in between, so each version is driven for real.
#   bash tests/run_hub_matrix.sh [PYTHON]   PYTHON: the test venv's python (default .venv/bin/python)
# Each version is installed once from PyPI (with its own dependencies: requests below 1.0, httpx or
# httpx2 from 1.0) into .venv-hub/py3.X/<version>/ and put in front of the test venv with PYTHONPATH, so
# pytest, numpy and safetensors come from the test venv and only the hub client and its stack change.
# ACC_HUB_VERSIONS="1.23.0 2.4.0" runs other versions; ACC_HUB_CACHE moves the cache folder.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
# 0.20.3: the oldest the extension supports (pyproject.toml); 0.26.5: Forge Classic's pin (Forge main
# resolves to the 0.2x line as well); 0.36.2: what a fresh A1111 1.10.1 resolves to (and the test venv's
# own pin); 1.23.0: SD.Next's pin; 1.33.0: the last 1.x (host names, not ports, decide which redirects
# its HEAD follows); 2.4.0: the latest 2.x on PyPI in 2026-12.
read -r -a VERSIONS <<<"${ACC_HUB_VERSIONS:-0.20.3 0.26.5 0.36.2 1.23.0 1.33.0 2.4.0}"
pyver=$("$PY" -c 'import sys; print(f"py{sys.version_info[0]}.{sys.version_info[1]}")')
# Keyed by the interpreter: the targets hold compiled wheels (pyyaml, charset-normalizer, hf-xet).
CACHE=${ACC_HUB_CACHE:-.venv-hub}/$pyver
mkdir -p "$CACHE"
started=$SECONDS

# Every test module that drives the hub client or the fake hub; found by content so a new one joins.
mapfile -t TESTS < <(grep -l -E 'tests\.fakehub|huggingface_hub' tests/unit/test_*.py)
if [[ ${#TESTS[@]} -eq 0 ]]; then
  echo "hub matrix: no download tests found under tests/unit" >&2
  exit 1
fi

# Install the missing versions side by side (the time is PyPI's, not the CPU's); a folder counts as
# installed only once pip finished, so an interrupted install is redone instead of half-used.
# Two runs on one work tree (two terminals, two CI jobs) take turns here instead of installing into the same
# folder at once; the lock goes with this shell.
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.lock"
  flock 9
fi
declare -A pids=()
for version in "${VERSIONS[@]}"; do
  dir=$CACHE/$version
  [[ -f $dir/.installed ]] && continue
  rm -rf "$dir"
  mkdir -p "$dir"
  "$PY" -m pip install --quiet --disable-pip-version-check --no-input --target "$dir" \
    "huggingface_hub==$version" >"$CACHE/$version.log" 2>&1 &
  pids[$version]=$!
done
install_failed=0
for version in "${!pids[@]}"; do
  if wait "${pids[$version]}"; then
    touch "$CACHE/$version/.installed"
  else
    echo "hub matrix: pip could not install huggingface_hub==$version:" >&2
    cat "$CACHE/$version.log" >&2
    install_failed=1
  fi
done
[[ $install_failed -eq 0 ]] || exit 1
if command -v flock >/dev/null; then flock -u 9; fi
installed_in=$((SECONDS - started))

status=0
summary=()
for version in "${VERSIONS[@]}"; do
  t0=$SECONDS
  export_path=$CACHE/$version${PYTHONPATH:+:$PYTHONPATH}
  # The wrong client would make a green run meaningless: check what is really imported first.
  found=$(PYTHONPATH=$export_path "$PY" -c 'import huggingface_hub as h; print(h.__version__)')
  if [[ $found != "$version" ]]; then
    echo "hub matrix: $CACHE/$version imports huggingface_hub $found, not $version" >&2
    status=1
    summary+=("$version: WRONG CLIENT ($found)")
    continue
  fi
  echo "hub matrix: huggingface_hub $version (${#TESTS[@]} files)"
  if PYTHONPATH=$export_path "$PY" -m pytest -q -p no:cacheprovider "${TESTS[@]}"; then
    summary+=("$version: passed in $((SECONDS - t0)) s")
  else
    summary+=("$version: FAILED")
    status=1
  fi
done
echo "hub matrix (installs ${installed_in} s, total $((SECONDS - started)) s):"
printf '  %s\n' "${summary[@]}"
exit $status
