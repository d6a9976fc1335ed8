#!/usr/bin/env bash
# Stand up SD.Next (vladmandic/sdnext) offline on a CPU-only machine, reproducibly.
# Sources: a local bare git mirror of SD.Next and PyPI. Nothing of SD.Next is copied into this project.
#   WEBUI_MIRRORS  folder of bare mirrors <owner>+<name>/repo   (default /work/.mirror)
#   ACC_ROOT       heavy runtime folder                         (default $HOME/webui-harness)
#   SDNEXT_COMMIT  commit to check out                          (default master 058a7f0c, 2026-07-23)
# Builds $ACC_ROOT/sdnext (work tree) and $ACC_ROOT/sdnext-venv, writes config.json for offline use and
# local HF-cache entries so that diffusers' from_single_file finds the SD1.5/SDXL pipeline configs offline.
# Idempotent: steps whose result is already there are skipped.
set -Eeuo pipefail
trap 'echo "FAILED in step [${STEP:-?}] (line $LINENO)" >&2' ERR

MIRROR=${WEBUI_MIRRORS:-/work/.mirror}
ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
SDNEXT_MIRROR=${SDNEXT_MIRROR:-$MIRROR/vladmandic+sdnext/repo}
SDNEXT_COMMIT=${SDNEXT_COMMIT:-058a7f0cf326f39c0135c6257d7b7e61073e51fd}
SDNEXT=${SDNEXT:-$ACC_ROOT/sdnext}
SDNEXT_VENV=${SDNEXT_VENV:-$ACC_ROOT/sdnext-venv}
PYTHON=${PYTHON:-python3.11}
TORCH_PIN=${TORCH_PIN:-torch==2.14.1}
TORCHVISION_PIN=${TORCHVISION_PIN:-torchvision==0.29.1}
# registry releases instead of the git commits installer.py pins (GitHub is unreachable):
#   diffusers 01969142 == 0.39.0.dev0, transformers b70d02fc == 5.13.0.dev0, tokenizers 0.22.2
DIFFUSERS_PIN=${DIFFUSERS_PIN:-diffusers==0.39.0}
TRANSFORMERS_PIN=${TRANSFORMERS_PIN:-transformers==5.13.0}
TOKENIZERS_PIN=${TOKENIZERS_PIN:-tokenizers==0.22.2}
LOG_DIR=$ACC_ROOT/logs
mkdir -p "$LOG_DIR"
TIMINGS=$LOG_DIR/sdnext-setup-timings.log
T0=$(date +%s)

step() { STEP=$1; TS=$(date +%s); echo "=== $STEP"; }
done_step() { local d=$(( $(date +%s) - TS )); echo "$(date -u +%FT%TZ) $STEP: ${d}s" | tee -a "$TIMINGS"; }

# ---------------------------------------------------------------- checkout
step "checkout $SDNEXT_COMMIT"
[ -d "$SDNEXT_MIRROR" ] || { echo "missing bare mirror $SDNEXT_MIRROR" >&2; exit 1; }
if [ ! -d "$SDNEXT/.git" ]; then
  git clone -q --no-checkout "$SDNEXT_MIRROR" "$SDNEXT"
fi
if [ "$(git -C "$SDNEXT" rev-parse HEAD 2>/dev/null || true)" != "$SDNEXT_COMMIT" ] || [ ! -f "$SDNEXT/launch.py" ]; then
  git -C "$SDNEXT" fetch -q origin 2>/dev/null || true
  # a mirror stripped of large files prints "unable to read sha1 file" for those; check key files instead
  git -C "$SDNEXT" -c advice.detachedHead=false checkout -q -f "$SDNEXT_COMMIT" || true
fi
[ "$(git -C "$SDNEXT" rev-parse HEAD)" = "$SDNEXT_COMMIT" ] && [ -f "$SDNEXT/launch.py" ] && [ -f "$SDNEXT/configs/sd15/model_index.json" ]
done_step

# ---------------------------------------------------------------- venv + torch
step "venv + torch"
if [ ! -x "$SDNEXT_VENV/bin/python" ]; then
  "$PYTHON" -m venv "$SDNEXT_VENV"
fi
PY=$SDNEXT_VENV/bin/python
PIP=("$PY" -m pip --disable-pip-version-check -q)
if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
  "${PIP[@]}" install -U pip wheel 'setuptools>=77.0.3,<81'
  "${PIP[@]}" install "$TORCH_PIN" "$TORCHVISION_PIN"
fi
"$PY" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__)'
done_step

# ---------------------------------------------------------------- requirements
step "requirements"
CONS=$SDNEXT_VENV/sdnext-constraints.txt
{ cat "$SDNEXT/constraints.txt"; echo "$TORCH_PIN"; echo "$TORCHVISION_PIN"; } > "$CONS"
REQ=$SDNEXT_VENV/sdnext-requirements.txt
# setuptools==69.5.1 is dropped: torch 2.14.1 requires setuptools>=77.0.3
grep -v '^setuptools' "$SDNEXT/requirements.txt" > "$REQ"
STAMP=$SDNEXT_VENV/.acc-requirements-$SDNEXT_COMMIT
if [ ! -f "$STAMP" ]; then
  "${PIP[@]}" install -r "$REQ" -c "$CONS"
  # what installer.py installs next (install_requirements, check_diffusers, check_transformers, install_gradio)
  "${PIP[@]}" install -c "$CONS" "$DIFFUSERS_PIN" "$TRANSFORMERS_PIN" "$TOKENIZERS_PIN" \
    'pydantic==2.13.4' 'scipy==1.14.1' 'opencv-python-headless==4.13.0.92'
  "${PIP[@]}" install --no-deps 'gradio==3.43.2' 'gradio-client==0.5.0' 'compel==2.4.0'
  "${PIP[@]}" install -c "$CONS" fastapi websockets aiofiles ffmpy pydub uvicorn semantic-version altair \
    python-multipart matplotlib importlib-resources jinja2 'setuptools>=77.0.3,<81'
  touch "$STAMP"
fi
done_step

step "import check"
(cd "$SDNEXT" && "$PY" - <<'EOF'
import importlib.metadata as md
for p in ['torch', 'torchvision', 'diffusers', 'transformers', 'tokenizers', 'gradio', 'gradio_client', 'huggingface_hub', 'fastapi', 'pydantic', 'numpy', 'peft', 'accelerate', 'safetensors']:
    print(f'{p}=={md.version(p)}', end=' ')
print()
import diffusers, transformers, gradio  # noqa
EOF
)
done_step

# ---------------------------------------------------------------- offline config
step "config.json"
"$PY" "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/sdnext_config.py" "$SDNEXT/config.json"
done_step

# ---------------------------------------------------------------- HF cache entries
# diffusers' from_single_file resolves the default repo of the detected pipeline through the HF cache;
# give it local entries built from SD.Next's own configs/<type> folders (configs only, no weights).
step "HF cache entries"
MODELS=$SDNEXT/models
mkdir -p "$MODELS/Diffusers" "$MODELS/huggingface" "$MODELS/Stable-diffusion" "$MODELS/Lora"
make_entry() {  # $1 repo id, $2 configs folder
  local repo=$1 src=$SDNEXT/configs/$2 base
  for base in "$MODELS/Diffusers" "$MODELS/huggingface"; do
    local d=$base/models--${repo//\//--} rev=0000000000000000000000000000000000000000
    mkdir -p "$d/refs" "$d/snapshots/$rev"
    echo -n "$rev" > "$d/refs/main"
    cp -rn "$src/." "$d/snapshots/$rev/"
  done
}
make_entry stable-diffusion-v1-5/stable-diffusion-v1-5 sd15
make_entry stabilityai/stable-diffusion-xl-base-1.0 sdxl
done_step

# ---------------------------------------------------------------- checkpoints
# The harness's random checkpoints, linked (not copied) into SD.Next's own models folder, which the e2e stack
# names with --models-dir (tests/e2e/stack.py); start.sh links them again before each start.
step "checkpoint links"
# Without them SD.Next starts with no checkpoint and every e2e/browser test fails: stop here instead.
[ -s "$ACC_ROOT/webui/models/Stable-diffusion/random-sd15.safetensors" ] || {
  echo "no $ACC_ROOT/webui/models/Stable-diffusion/random-sd15.safetensors: run the harness's setup.sh first, then this again" >&2
  exit 1
}
for f in "$ACC_ROOT"/webui/models/Stable-diffusion/*.safetensors; do
  [ -e "$f" ] && ln -sfn "$f" "$MODELS/Stable-diffusion/$(basename "$f")"
done
done_step

echo "$(date -u +%FT%TZ) total: $(( $(date +%s) - T0 ))s" | tee -a "$TIMINGS"
cat <<EOF

SD.Next $SDNEXT_COMMIT is ready in $SDNEXT (venv $SDNEXT_VENV).
Start (one WebUI at a time on this machine, hold the lock: exec 9>/work/runs/webui.lock; flock 9):
  bash $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/start.sh [CKPT_NAME_OR_PATH]     # port 7874, logs in $LOG_DIR/sdnext.log
  bash $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stop.sh
EOF
