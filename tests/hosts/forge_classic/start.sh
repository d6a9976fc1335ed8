#!/usr/bin/env bash
# Start Forge Classic in the background on 127.0.0.1:$CLASSIC_PORT (7876), CPU only, offline; wait for the API.
#   bash start.sh                         # SD1.5 (first checkpoint found)
#   WEBUI_EXTRA_ARGS="--ckpt models/Stable-diffusion/random-sdxl.safetensors" bash start.sh
# Take the machine-wide lock around start..stop yourself: flock /work/runs/webui.lock ...
set -Eeuo pipefail
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
DIR=${CLASSIC:-$ACC_ROOT/forge-classic}; PY=${CLASSIC_VENV:-$ACC_ROOT/forge-classic-venv}/bin/python
PORT=${CLASSIC_PORT:-7876}; LOG=${CLASSIC_LOG:-$ACC_ROOT/logs/forge-classic.log}; PIDF=$ACC_ROOT/run/forge-classic.pid
ARGS=(--skip-prepare-environment --skip-install --skip-python-version-check --skip-torch-cuda-test
  --skip-version-check --always-cpu --all-in-fp32 --disable-nan-check --api --server-name 127.0.0.1
  --port "$PORT" --no-download-sd-model)
source "$(dirname "$0")/_start_common.sh"
