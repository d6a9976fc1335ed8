#!/usr/bin/env bash
# Build reForge (Panchovix/stable-diffusion-webui-reForge, branch main) for offline CPU tests, next to
# the shared webui-harness: work tree $ACC_ROOT/reforge, venv $ACC_ROOT/reforge-venv, checkpoints,
# LoRAs, VAE-approx and the offline HF cache taken from the harness's A1111 tree ($ACC_ROOT/webui).
# Everything comes from local bare git mirrors ($WEBUI_MIRRORS) and PyPI; nothing from GitHub/HF.
# Idempotent: each step skips itself when its result is already there.
#
#   bash tests/hosts/reforge/setup.sh          # after the harness's setup.sh (checkpoints)
#   REFORGE_COMMIT=<sha> bash .../setup.sh      # another commit of the mirror
set -Eeuo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export WEBUI_MIRRORS=${WEBUI_MIRRORS:-/work/.mirror}
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
HARNESS=${ACC_HARNESS:-$(cd "$HERE/../../../.." && pwd)/shared/webui-harness}
[[ -f $HARNESS/env.sh ]] || HARNESS=/work/shared/webui-harness
# shellcheck source=/dev/null
source "$HARNESS/env.sh"     # MIRROR, WEBUI (A1111 tree), TORCH_PIN, TORCHVISION_PIN, PYTHON, HF_HOME

REFORGE_MIRROR=${REFORGE_MIRROR:-Panchovix+stable-diffusion-webui-reForge}
REFORGE_COMMIT=${REFORGE_COMMIT:-3b56b268ad9158ee8b30900973b6ccda4ec22241}   # main, 2026-03-11 "Add missing R-ESRGAN"
REFORGE=${REFORGE:-$ACC_ROOT/reforge}
REFORGE_VENV=${REFORGE_VENV:-$ACC_ROOT/reforge-venv}
REFORGE_PORT=${REFORGE_PORT:-7875}

STEP="init"
trap 'echo "reforge/setup.sh: FAILED in step [$STEP] (line $LINENO): $BASH_COMMAND" >&2' ERR
mkdir -p "$ACC_ROOT/logs" "$ACC_ROOT/run"
TIMINGS="$ACC_ROOT/logs/setup-timings.log"
T_STEP=0; T0=$SECONDS
step() {
  [[ "$STEP" != init ]] && echo "$(date -u +%FT%TZ) reforge ${STEP}: $(( SECONDS - T_STEP ))s" | tee -a "$TIMINGS"
  STEP=$1; T_STEP=$SECONDS; echo "=== $STEP"
}
die() { echo "reforge/setup.sh: FAILED in step [$STEP]: $*" >&2; exit 1; }
checkout_pinned() {  # DIR MIRROR COMMIT KEYFILE   (blobs >= 4 MiB may be absent from the mirrors: harmless)
  local dir=$1 mirror=$MIRROR/$2/repo commit=$3 key=$4
  if [[ ! -d $dir/.git ]]; then
    rm -rf "$dir"
    git clone -q --no-checkout "$mirror" "$dir"
    git -C "$dir" -c advice.detachedHead=false checkout -q "$commit" 2> "$ACC_ROOT/logs/checkout-reforge-$(basename "$dir").log" || true
  fi
  local head; head=$(git -C "$dir" rev-parse HEAD)
  [[ $head == "$commit" ]] || die "$dir is at $head, expected $commit (remove it and rerun)"
  [[ -f $dir/$key ]] || die "$dir/$key missing after checkout"
}

step "check mirrors"
for m in "$REFORGE_MIRROR" Stability-AI+stablediffusion Stability-AI+generative-models crowsonkb+k-diffusion \
         salesforce+BLIP AUTOMATIC1111+stable-diffusion-webui-assets openai+CLIP; do
  git --git-dir="$MIRROR/$m/repo" rev-parse -q --verify HEAD >/dev/null 2>&1 || die "missing bare repository github:${m/+//} (expected at $MIRROR/$m/repo)"
done
git --git-dir="$MIRROR/$REFORGE_MIRROR/repo" cat-file -e "$REFORGE_COMMIT^{commit}" 2>/dev/null || die "$REFORGE_MIRROR lacks $REFORGE_COMMIT"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"

step "reforge work tree"
# The mirror lacks one >4 MiB blob (ldm_patched/.../llama_tokenizer/tokenizer.json, used by no SD1/SDXL path).
checkout_pinned "$REFORGE" "$REFORGE_MIRROR" "$REFORGE_COMMIT" launch.py

step "reforge repositories/"
# launch_utils.py pins stable-diffusion-stability-ai to joypaul162's fork at f16630a9, which no mirror
# holds; A1111 1.10.1's pin cf1d67a6 (the same ldm code, from the Stability-AI mirror) is used instead.
mkdir -p "$REFORGE/repositories"
checkout_pinned "$REFORGE/repositories/stable-diffusion-stability-ai" Stability-AI+stablediffusion cf1d67a6fd5ea1aa600c4df58e5b47da45f6bdbf ldm/models/diffusion/ddpm.py
checkout_pinned "$REFORGE/repositories/generative-models" Stability-AI+generative-models 45c443b316737a4ab6e40413d7794a7f5657c19f sgm/models/diffusion.py
checkout_pinned "$REFORGE/repositories/k-diffusion" crowsonkb+k-diffusion ab527a9a6d347f364e3d185ba6d714e22d80cb3c k_diffusion/sampling.py
checkout_pinned "$REFORGE/repositories/BLIP" salesforce+BLIP 48211a1594f1321b00f14c9f7a5b4813144b2fb9 models/blip.py
checkout_pinned "$REFORGE/repositories/stable-diffusion-webui-assets" AUTOMATIC1111+stable-diffusion-webui-assets 6f7db241d2f8ba7457bac5ca9753331f0c266917 css/sourcesanspro.css

step "venv + torch"
[[ -x $REFORGE_VENV/bin/python ]] || "$PYTHON" -m venv "$REFORGE_VENV"
PIP=("$REFORGE_VENV/bin/python" -m pip)
if ! "$REFORGE_VENV/bin/python" -c "import torch, torchvision.ops; assert torch.__version__.startswith('${TORCH_PIN#torch==}')" 2>/dev/null; then
  "${PIP[@]}" install -q "$TORCH_PIN" "$TORCHVISION_PIN" 2>&1 | grep -v 'is ignored' || true
  "$REFORGE_VENV/bin/python" -c "import torch, torchvision.ops" || die "torch/torchvision not importable"
fi

step "requirements_versions.txt"
# Deviations (see tests/hosts/README.md):
#   setuptools 69.5.1 -> 80.9.0 (torch 2.14.1 needs >=77.0.3; <81 keeps pkg_resources)
#   pydantic: the GitHub release wheel "pydantic-fixreforge" -> pydantic==1.10.15 from PyPI
#   torch/torchvision held by a constraints file
REQ="$ACC_ROOT/reforge-requirements-acceptance.txt"; CON="$ACC_ROOT/reforge-constraints-acceptance.txt"
sed -e 's/^setuptools==69.5.1.*/setuptools==80.9.0/' \
    -e 's#^https://github.com/Panchovix/pydantic-fixreforge/.*pydantic-1.10.15.*#pydantic==1.10.15#' \
    "$REFORGE/requirements_versions.txt" > "$REQ"
grep -q 'github.com' "$REQ" && die "a GitHub URL is left in $REQ"
printf '%s\n%s\n' "$TORCH_PIN" "$TORCHVISION_PIN" > "$CON"
stamp="$REFORGE_VENV/.acceptance-req-$(sha1sum "$REQ" "$CON" | sha1sum | cut -c1-12)"
if [[ ! -f $stamp ]]; then
  "${PIP[@]}" install -c "$CON" -r "$REQ" > "$ACC_ROOT/logs/pip-reforge-requirements.log" 2>&1 \
    || { grep -v 'is ignored' "$ACC_ROOT/logs/pip-reforge-requirements.log" | tail -30 >&2; die "pip install -r requirements"; }
  touch "$stamp"
fi

step "openai CLIP (pinned commit, from mirror)"
if ! "$REFORGE_VENV/bin/python" -c "import clip" 2>/dev/null; then
  src="$ACC_ROOT/src/CLIP"
  if [[ ! -f $src/setup.py ]]; then rm -rf "$src"; mkdir -p "$src"; git --git-dir="$MIRROR/openai+CLIP/repo" archive d50d76daa670286dd6cacf3bcd80b5e4823fc8e1 | tar -x -C "$src"; fi
  "${PIP[@]}" install -q -c "$CON" --no-deps --no-build-isolation "$src" 2>&1 | grep -v 'is ignored' || true
  "$REFORGE_VENV/bin/python" -c "import clip" 2>/dev/null || die "clip not importable"
fi

step "builtin extension installers (+ joblib)"
# --skip-prepare-environment also skips extension installers: run the two builtin ones the way the
# WebUI does (cwd + PYTHONPATH = work tree). numpy is held at the requirements' 1.26.4 (mediapipe
# would pull numpy 2 + opencv 5 and break scikit-image). GitHub wheels they try fail, non-fatally.
CONF="$ACC_ROOT/reforge-constraints-ext.txt"
printf '%s\n%s\nnumpy==1.26.4\n' "$TORCH_PIN" "$TORCHVISION_PIN" > "$CONF"
# main pins pydantic 1.10.15 (a GitHub wheel, replaced above); gradio4_main pins pydantic 2 from PyPI.
PYDANTIC_WANTED=$(sed -n 's/^pydantic==\([0-9.]*\).*/\1/p' "$REQ" | head -n 1)
PYDANTIC_WANTED=${PYDANTIC_WANTED:-1.10.15}
ext_ok() { "$REFORGE_VENV/bin/python" -c "import numpy, skimage, cv2, joblib, pydantic; assert numpy.__version__ == '1.26.4'; assert pydantic.VERSION == '$PYDANTIC_WANTED'" 2>/dev/null; }
if [[ ! -f $REFORGE_VENV/.acceptance-ext-installers ]] || ! ext_ok; then
  export PIP_CONSTRAINT="$CONF"
  "${PIP[@]}" install -q --prefer-binary joblib -r "$REFORGE/extensions-builtin/sd_forge_controlnet/requirements.txt" \
    >> "$ACC_ROOT/logs/reforge-ext-installers.log" 2>&1 || { tail -20 "$ACC_ROOT/logs/reforge-ext-installers.log" >&2; die "controlnet requirements"; }
  for inst in "$REFORGE"/extensions-builtin/*/install.py; do
    echo "--- $inst"
    (cd "$REFORGE" && PYTHONPATH="$REFORGE" "$REFORGE_VENV/bin/python" "$inst") >> "$ACC_ROOT/logs/reforge-ext-installers.log" 2>&1 \
      || { tail -20 "$ACC_ROOT/logs/reforge-ext-installers.log" >&2; die "$inst failed"; }
  done
  unset PIP_CONSTRAINT
  touch "$REFORGE_VENV/.acceptance-ext-installers"
fi
ext_ok || die "numpy/skimage/cv2/joblib/pydantic $PYDANTIC_WANTED not importable together in $REFORGE_VENV"

step "import check"
(cd "$REFORGE" && "$REFORGE_VENV/bin/python" - <<'PY'
import sys, warnings
warnings.filterwarnings("ignore")
sys.path[:0] = ["repositories/stable-diffusion-stability-ai", "repositories/generative-models", "repositories/k-diffusion"]
import torch, torchvision, gradio, transformers, open_clip, clip, pydantic, huggingface_hub, ldm.models.diffusion.ddpm, sgm, k_diffusion
print("torch", torch.__version__, "| gradio", gradio.__version__, "| transformers", transformers.__version__,
      "| pydantic", pydantic.VERSION, "| huggingface_hub", huggingface_hub.__version__)
PY
) 2>&1 | grep -v -i warn

step "models (symlinks to the harness's A1111 tree)"
[[ -s $WEBUI/models/Stable-diffusion/random-sd15.safetensors ]] || die "run the harness's setup.sh first (no $WEBUI/models/Stable-diffusion/random-sd15.safetensors)"
mkdir -p "$REFORGE/models/Stable-diffusion" "$REFORGE/models/Lora" "$REFORGE/models/VAE-approx"
for f in "$WEBUI"/models/Stable-diffusion/random-*.safetensors; do ln -sfn "$f" "$REFORGE/models/Stable-diffusion/$(basename "$f")"; done
for f in "$WEBUI"/models/Lora/acc_*.safetensors; do ln -sfn "$f" "$REFORGE/models/Lora/$(basename "$f")"; done
# live preview: reForge ships VAE-approx/vaeapprox-sdxl.pt but not the SD1 model.pt, which it would
# download from GitHub (the job then fails). A1111's tracked models/VAE-approx/model.pt is the same file.
[[ -e $REFORGE/models/VAE-approx/model.pt ]] || ln -sfn "$WEBUI/models/VAE-approx/model.pt" "$REFORGE/models/VAE-approx/model.pt"
[[ -s $REFORGE/models/VAE-approx/model.pt ]] || die "no VAE-approx/model.pt (expected in $WEBUI/models/VAE-approx)"
[[ -d $HF_HOME/hub ]] || die "no offline HF cache at $HF_HOME (harness setup.sh makes it)"

step "done"
echo "reforge setup complete in $(( SECONDS - T0 ))s: $REFORGE (venv $REFORGE_VENV)."
cat <<EOF
Start (one WebUI at a time):
  cd $REFORGE && LD_PRELOAD=/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 HF_HOME=$HF_HOME HF_HUB_OFFLINE=1 \\
    TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False $REFORGE_VENV/bin/python launch.py \\
    --skip-prepare-environment --skip-install --skip-python-version-check --skip-torch-cuda-test \\
    --skip-version-check --always-cpu --all-in-fp32 --disable-nan-check --api --server-name 127.0.0.1 \\
    --port $REFORGE_PORT --no-download-sd-model
or: bash $HERE/start.sh   (background, pid in $ACC_ROOT/run/reforge.pid; stop: bash $HERE/stop.sh)
EOF
