#!/usr/bin/env bash
# Start SD.Next (built by setup.sh) in the background on 127.0.0.1, CPU only, offline.
#   bash start.sh [CKPT]       CKPT: a file name in the checkpoint folder or a path (default random-sd15.safetensors)
# Env:
#   ACC_ROOT          (default $HOME/webui-harness)
#   SDNEXT_PORT       (default 7874)
#   SDNEXT_EXT_DIR    use this folder as the user-extensions folder (--extensions-dir) instead of $ACC_ROOT/sdnext/extensions
#   SDNEXT_EXTRA_ARGS extra launch.py flags (word-split)
#   START_TIMEOUT     seconds to wait for the model to be loaded (default 600)
#   NO_TCMALLOC=1     do not preload tcmalloc
# One WebUI at a time on this machine: run start..stop under `flock /work/runs/webui.lock`.
set -Eeuo pipefail
ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
SDNEXT=${SDNEXT:-$ACC_ROOT/sdnext}
SDNEXT_VENV=${SDNEXT_VENV:-$ACC_ROOT/sdnext-venv}
PORT=${SDNEXT_PORT:-7874}
LOG=${SDNEXT_LOG:-$ACC_ROOT/logs/sdnext.log}
PIDFILE=${SDNEXT_PID:-$ACC_ROOT/run/sdnext.pid}
CKPT=${1:-random-sd15.safetensors}
MODELS=$SDNEXT/models
mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")" "$MODELS/Stable-diffusion" "$MODELS/Lora"

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then echo "port $PORT already in use" >&2; exit 1; fi

# share the harness's random checkpoints and test LoRAs (symlinks, no copies)
for f in "$ACC_ROOT"/webui/models/Stable-diffusion/*.safetensors; do
  [ -e "$f" ] && ln -sfn "$f" "$MODELS/Stable-diffusion/$(basename "$f")"
done
for f in "$ACC_ROOT"/webui/models/Lora/acc_*.safetensors; do
  [ -e "$f" ] && ln -sfn "$f" "$MODELS/Lora/$(basename "$f")"
done
case "$CKPT" in /*) CKPT_PATH=$CKPT ;; *) CKPT_PATH=$MODELS/Stable-diffusion/$CKPT ;; esac
[ -f "$CKPT_PATH" ] || { echo "checkpoint not found: $CKPT_PATH" >&2; exit 1; }

ARGS=(launch.py --skip-all --skip-git --use-cpu all --no-half --no-half-vae
  --models-dir "$MODELS" --ckpt "$CKPT_PATH" --server-name 127.0.0.1 --port "$PORT")
[ -n "${SDNEXT_EXT_DIR:-}" ] && ARGS+=(--extensions-dir "$SDNEXT_EXT_DIR")
# shellcheck disable=SC2206
[ -n "${SDNEXT_EXTRA_ARGS:-}" ] && ARGS+=($SDNEXT_EXTRA_ARGS)

PRELOAD=
TCM=/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -z "${NO_TCMALLOC:-}" ] && [ -f "$TCM" ] && PRELOAD=$TCM

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$SDNEXT_VENV/bin/python" "$HERE/sdnext_config.py" "$SDNEXT/config.json"
cd "$SDNEXT"
echo "$(date -u +%FT%TZ) start: ${ARGS[*]}" >> "$LOG"
L0=$(wc -l < "$LOG")
T0=$(date +%s)
# HF_HOME/HF_HUB_CACHE unset: SD.Next points HF_HUB_CACHE at <models>/huggingface itself (modules/models_hf.py:19)
env -u HF_HOME -u HF_HUB_CACHE LD_PRELOAD=$PRELOAD HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 \
  COLUMNS=${COLUMNS:-220} DO_NOT_TRACK=1 GRADIO_ANALYTICS_ENABLED=False NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
  nohup setsid "$SDNEXT_VENV/bin/python" "${ARGS[@]}" >> "$LOG" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
echo "pid $(cat "$PIDFILE"), log $LOG"

TIMEOUT=${START_TIMEOUT:-600}
up=
while [ $(( $(date +%s) - T0 )) -lt "$TIMEOUT" ]; do
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "SD.Next exited; tail of log:" >&2; tail -40 "$LOG" >&2; exit 1; }
  if tail -n +"$L0" "$LOG" | grep -q "Load model: name=.* not loaded"; then
    echo "model failed to load; see $LOG and $SDNEXT/sdnext.log" >&2; exit 1
  fi
  if [ -z "$up" ] && curl -sf -o /dev/null "http://127.0.0.1:$PORT/sdapi/v1/sd-models"; then
    up=$(( $(date +%s) - T0 )); echo "API up after ${up}s"
  fi
  if [ -n "$up" ] && curl -sf "http://127.0.0.1:$PORT/sdapi/v1/options" | grep -q '"sd_model_checkpoint"' \
     && curl -sf "http://127.0.0.1:$PORT/sdapi/v1/sampler" | grep -q '[a-zA-Z]'; then
    echo "model loaded after $(( $(date +%s) - T0 ))s"; exit 0
  fi
  sleep 3
done
echo "timeout after ${TIMEOUT}s" >&2; exit 1
