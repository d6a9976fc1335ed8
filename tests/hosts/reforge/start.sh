#!/usr/bin/env bash
# Start reForge in the background on 127.0.0.1:$REFORGE_PORT (7875), CPU only, offline; wait for the API.
#   bash start.sh                         # SD1.5 (first checkpoint found)
#   WEBUI_EXTRA_ARGS="--ckpt models/Stable-diffusion/random-sdxl.safetensors" bash start.sh
# Take the machine-wide lock around start..stop yourself: flock /work/runs/webui.lock ...
set -Eeuo pipefail
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
DIR=${REFORGE:-$ACC_ROOT/reforge}; PY=${REFORGE_VENV:-$ACC_ROOT/reforge-venv}/bin/python
PORT=${REFORGE_PORT:-7875}; LOG=${REFORGE_LOG:-$ACC_ROOT/logs/reforge.log}; PIDF=$ACC_ROOT/run/reforge.pid
ARGS=(--skip-prepare-environment --skip-install --skip-python-version-check --skip-torch-cuda-test
  --skip-version-check --always-cpu --all-in-fp32 --disable-nan-check --api --server-name 127.0.0.1
  --port "$PORT" --no-download-sd-model)
source "$(dirname "$0")/../forge_classic/_start_common.sh"
