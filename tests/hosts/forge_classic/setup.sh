#!/usr/bin/env bash
# Build Forge Classic (Haoming02/sd-webui-forge-classic, branch classic) for offline CPU tests, next to
# the shared webui-harness: work tree $ACC_ROOT/forge-classic, venv $ACC_ROOT/forge-classic-venv,
# checkpoints, LoRAs and the offline HF cache taken from the harness's A1111 tree ($ACC_ROOT/webui).
# Everything comes from local bare git mirrors ($WEBUI_MIRRORS) and PyPI; nothing from GitHub/HF.
# Idempotent: each step skips itself when its result is already there.
#
#   bash tests/hosts/forge_classic/setup.sh     # after the harness's setup.sh (checkpoints)
set -Eeuo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export WEBUI_MIRRORS=${WEBUI_MIRRORS:-/work/.mirror}
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
HARNESS=${ACC_HARNESS:-$(cd "$HERE/../../../.." && pwd)/shared/webui-harness}
[[ -f $HARNESS/env.sh ]] || HARNESS=/work/shared/webui-harness
# shellcheck source=/dev/null
source "$HARNESS/env.sh"     # MIRROR, WEBUI (A1111 tree), TORCH_PIN, TORCHVISION_PIN, PYTHON, HF_HOME

CLASSIC_MIRROR=${CLASSIC_MIRROR:-Haoming02+sd-webui-forge-classic}
CLASSIC_COMMIT=${CLASSIC_COMMIT:-1f95d7170189cf93952aca122c1ee2f306a07e4c}   # classic, 2025-02-21 "lint"
CLASSIC=${CLASSIC:-$ACC_ROOT/forge-classic}
CLASSIC_VENV=${CLASSIC_VENV:-$ACC_ROOT/forge-classic-venv}
CLASSIC_PORT=${CLASSIC_PORT:-7876}

STEP="init"
trap 'echo "forge_classic/setup.sh: FAILED in step [$STEP] (line $LINENO): $BASH_COMMAND" >&2' ERR
mkdir -p "$ACC_ROOT/logs" "$ACC_ROOT/run"
TIMINGS="$ACC_ROOT/logs/setup-timings.log"
T_STEP=0; T0=$SECONDS
step() {
  [[ "$STEP" != init ]] && echo "$(date -u +%FT%TZ) classic ${STEP}: $(( SECONDS - T_STEP ))s" | tee -a "$TIMINGS"
  STEP=$1; T_STEP=$SECONDS; echo "=== $STEP"
}
die() { echo "forge_classic/setup.sh: FAILED in step [$STEP]: $*" >&2; exit 1; }
checkout_pinned() {  # DIR MIRROR COMMIT KEYFILE   (blobs >= 4 MiB may be absent from the mirrors: harmless)
  local dir=$1 mirror=$MIRROR/$2/repo commit=$3 key=$4
  if [[ ! -d $dir/.git ]]; then
    rm -rf "$dir"
    git clone -q --no-checkout "$mirror" "$dir"
    git -C "$dir" -c advice.detachedHead=false checkout -q "$commit" 2> "$ACC_ROOT/logs/checkout-classic-$(basename "$dir").log" || true
  fi
  local head; head=$(git -C "$dir" rev-parse HEAD)
  [[ $head == "$commit" ]] || die "$dir is at $head, expected $commit (remove it and rerun)"
  [[ -f $dir/$key ]] || die "$dir/$key missing after checkout"
}

step "check mirrors"
for m in "$CLASSIC_MIRROR" Stability-AI+stablediffusion Stability-AI+generative-models \
         AUTOMATIC1111+stable-diffusion-webui-assets openai+CLIP; do
  git --git-dir="$MIRROR/$m/repo" rev-parse -q --verify HEAD >/dev/null 2>&1 || die "missing bare repository github:${m/+//} (expected at $MIRROR/$m/repo)"
done
git --git-dir="$MIRROR/$CLASSIC_MIRROR/repo" cat-file -e "$CLASSIC_COMMIT^{commit}" 2>/dev/null || die "$CLASSIC_MIRROR lacks $CLASSIC_COMMIT"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"

step "forge-classic work tree"
checkout_pinned "$CLASSIC" "$CLASSIC_MIRROR" "$CLASSIC_COMMIT" launch.py

step "forge-classic repositories/"
# modules/launch_utils.py clones only these three (k-diffusion is vendored under ldm_patched/, no BLIP)
mkdir -p "$CLASSIC/repositories"
checkout_pinned "$CLASSIC/repositories/stable-diffusion-stability-ai" Stability-AI+stablediffusion cf1d67a6fd5ea1aa600c4df58e5b47da45f6bdbf ldm/models/diffusion/ddpm.py
checkout_pinned "$CLASSIC/repositories/generative-models" Stability-AI+generative-models 45c443b316737a4ab6e40413d7794a7f5657c19f sgm/models/diffusion.py
checkout_pinned "$CLASSIC/repositories/stable-diffusion-webui-assets" AUTOMATIC1111+stable-diffusion-webui-assets 6f7db241d2f8ba7457bac5ca9753331f0c266917 css/sourcesanspro.css

step "venv + torch"
[[ -x $CLASSIC_VENV/bin/python ]] || "$PYTHON" -m venv "$CLASSIC_VENV"
PIP=("$CLASSIC_VENV/bin/python" -m pip)
if ! "$CLASSIC_VENV/bin/python" -c "import torch, torchvision.ops; assert torch.__version__.startswith('${TORCH_PIN#torch==}')" 2>/dev/null; then
  "${PIP[@]}" install -q "$TORCH_PIN" "$TORCHVISION_PIN" 2>&1 | grep -v 'is ignored' || true
  "$CLASSIC_VENV/bin/python" -c "import torch, torchvision.ops" || die "torch/torchvision not importable"
fi

step "requirements.txt"
# Deviations (see tests/hosts/README.md):
#   + setuptools==80.9.0 (not pinned upstream; torch 2.14.1 needs >=77.0.3; <81 keeps pkg_resources,
#     which the builtin installers import)
#   torch/torchvision held by a constraints file
REQ="$ACC_ROOT/classic-requirements-acceptance.txt"; CON="$ACC_ROOT/classic-constraints-acceptance.txt"
{ echo "setuptools==80.9.0"; cat "$CLASSIC/requirements.txt"; } > "$REQ"
grep -q 'github.com' "$REQ" && die "a GitHub URL is left in $REQ"
printf '%s\n%s\n' "$TORCH_PIN" "$TORCHVISION_PIN" > "$CON"
stamp="$CLASSIC_VENV/.acceptance-req-$(sha1sum "$REQ" "$CON" | sha1sum | cut -c1-12)"
if [[ ! -f $stamp ]]; then
  "${PIP[@]}" install -c "$CON" -r "$REQ" > "$ACC_ROOT/logs/pip-classic-requirements.log" 2>&1 \
    || { grep -v 'is ignored' "$ACC_ROOT/logs/pip-classic-requirements.log" | tail -30 >&2; die "pip install -r requirements"; }
  touch "$stamp"
fi

step "openai CLIP (pinned commit, from mirror)"
if ! "$CLASSIC_VENV/bin/python" -c "import clip" 2>/dev/null; then
  src="$ACC_ROOT/src/CLIP"
  if [[ ! -f $src/setup.py ]]; then rm -rf "$src"; mkdir -p "$src"; git --git-dir="$MIRROR/openai+CLIP/repo" archive d50d76daa670286dd6cacf3bcd80b5e4823fc8e1 | tar -x -C "$src"; fi
  "${PIP[@]}" install -q -c "$CON" --no-deps --no-build-isolation "$src" 2>&1 | grep -v 'is ignored' || true
  "$CLASSIC_VENV/bin/python" -c "import clip" 2>/dev/null || die "clip not importable"
fi

step "builtin extension installers (+ joblib)"
# --skip-prepare-environment also skips extension installers: run the two builtin ones the way the
# WebUI does (cwd + PYTHONPATH = work tree). numpy is held at the requirements' 1.26.2 (mediapipe
# would pull numpy 2 + opencv 5 and break scikit-image). GitHub wheels they try fail, non-fatally.
CONF="$ACC_ROOT/classic-constraints-ext.txt"
printf '%s\n%s\nnumpy==1.26.2\n' "$TORCH_PIN" "$TORCHVISION_PIN" > "$CONF"
ext_ok() { "$CLASSIC_VENV/bin/python" -c "import numpy, skimage, cv2, joblib, pydantic; assert numpy.__version__ == '1.26.2'" 2>/dev/null; }
if [[ ! -f $CLASSIC_VENV/.acceptance-ext-installers ]] || ! ext_ok; then
  export PIP_CONSTRAINT="$CONF"
  "${PIP[@]}" install -q --prefer-binary joblib -r "$CLASSIC/extensions-builtin/sd_forge_controlnet/requirements.txt" \
    >> "$ACC_ROOT/logs/classic-ext-installers.log" 2>&1 || { tail -20 "$ACC_ROOT/logs/classic-ext-installers.log" >&2; die "controlnet requirements"; }
  for inst in "$CLASSIC"/extensions-builtin/*/install.py; do
    echo "--- $inst"
    (cd "$CLASSIC" && PYTHONPATH="$CLASSIC" "$CLASSIC_VENV/bin/python" "$inst") >> "$ACC_ROOT/logs/classic-ext-installers.log" 2>&1 \
      || { tail -20 "$ACC_ROOT/logs/classic-ext-installers.log" >&2; die "$inst failed"; }
  done
  unset PIP_CONSTRAINT
  touch "$CLASSIC_VENV/.acceptance-ext-installers"
fi
ext_ok || die "numpy/skimage/cv2/joblib/pydantic not importable together in $CLASSIC_VENV"

step "import check"
(cd "$CLASSIC" && "$CLASSIC_VENV/bin/python" - <<'PY'
import sys, warnings
warnings.filterwarnings("ignore")
sys.path[:0] = ["repositories/stable-diffusion-stability-ai", "repositories/generative-models", "ldm_patched"]
import torch, torchvision, gradio, transformers, open_clip, clip, pydantic, huggingface_hub, ldm.models.diffusion.ddpm, sgm, k_diffusion
print("torch", torch.__version__, "| gradio", gradio.__version__, "| transformers", transformers.__version__,
      "| pydantic", pydantic.VERSION, "| huggingface_hub", huggingface_hub.__version__)
PY
) 2>&1 | grep -v -i warn

step "models (symlinks to the harness's A1111 tree)"
[[ -s $WEBUI/models/Stable-diffusion/random-sd15.safetensors ]] || die "run the harness's setup.sh first (no $WEBUI/models/Stable-diffusion/random-sd15.safetensors)"
mkdir -p "$CLASSIC/models/Stable-diffusion" "$CLASSIC/models/Lora" "$CLASSIC/models/VAE-approx"
for f in "$WEBUI"/models/Stable-diffusion/random-*.safetensors; do ln -sfn "$f" "$CLASSIC/models/Stable-diffusion/$(basename "$f")"; done
for f in "$WEBUI"/models/Lora/acc_*.safetensors; do ln -sfn "$f" "$CLASSIC/models/Lora/$(basename "$f")"; done
# live preview "Approx NN" reads VAE-approx/model.pt (SD1) / vaeapprox-sdxl.pt, else downloads it
# from GitHub: link A1111's tracked model.pt and the harness's random vaeapprox-sdxl.pt.
[[ -e $CLASSIC/models/VAE-approx/model.pt ]] || ln -sfn "$WEBUI/models/VAE-approx/model.pt" "$CLASSIC/models/VAE-approx/model.pt"
[[ -f $WEBUI/models/VAE-approx/vaeapprox-sdxl.pt && ! -e $CLASSIC/models/VAE-approx/vaeapprox-sdxl.pt ]] \
  && ln -sfn "$WEBUI/models/VAE-approx/vaeapprox-sdxl.pt" "$CLASSIC/models/VAE-approx/vaeapprox-sdxl.pt"
[[ -d $HF_HOME/hub ]] || die "no offline HF cache at $HF_HOME (harness setup.sh makes it)"

step "done"
echo "forge-classic setup complete in $(( SECONDS - T0 ))s: $CLASSIC (venv $CLASSIC_VENV)."
cat <<EOF
Start (one WebUI at a time):
  cd $CLASSIC && LD_PRELOAD=/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 HF_HOME=$HF_HOME HF_HUB_OFFLINE=1 \\
    TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False $CLASSIC_VENV/bin/python launch.py \\
    --skip-prepare-environment --skip-install --skip-python-version-check --skip-torch-cuda-test \\
    --skip-version-check --always-cpu --all-in-fp32 --disable-nan-check --api --server-name 127.0.0.1 \\
    --port $CLASSIC_PORT --no-download-sd-model
or: bash $HERE/start.sh   (background, pid in $ACC_ROOT/run/forge-classic.pid; stop: bash $HERE/stop.sh)
EOF
