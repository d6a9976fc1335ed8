#!/usr/bin/env bash
# One proof run of reForge or Forge Classic, under the machine-wide WebUI lock:
# start -> harness smoke test -> acc-probe facts (-> SDXL smoke) -> stop.
#   bash prove.sh reforge|classic [sd15|sdxl] [OUTDIR]
# Results: OUTDIR (default $ACC_ROOT/results/<host>-<model>-<time>/): smoke.json, smoke.txt, facts.json, log excerpt.
# The acc-probe extension (tests/hosts/reforge/acc-probe) is linked into the host's extensions/ for the run.
set -Eeuo pipefail
HOSTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
host=${1:?reforge|classic}; model=${2:-sd15}
case $host in
  reforge) D=$HOSTS_DIR/reforge; TREE=$ACC_ROOT/reforge; PY=$ACC_ROOT/reforge-venv/bin/python; PORT=7875; LOG=$ACC_ROOT/logs/reforge.log ;;
  classic) D=$HOSTS_DIR/forge_classic; TREE=$ACC_ROOT/forge-classic; PY=$ACC_ROOT/forge-classic-venv/bin/python; PORT=7876; LOG=$ACC_ROOT/logs/forge-classic.log ;;
  *) echo "usage: prove.sh reforge|classic [sd15|sdxl]" >&2; exit 2 ;;
esac
OUT=${3:-$ACC_ROOT/results/$host-$model-$(date -u +%H%M%S)}; mkdir -p "$OUT"
HARNESS=${ACC_HARNESS:-/work/shared/webui-harness}
ln -sfn "$HOSTS_DIR/reforge/acc-probe" "$TREE/extensions/acc-probe"
if [[ ${ACCEL:-0} == 1 ]]; then   # the committed Accelerator (git HEAD of the project), not the working tree
  EXT=$TREE/extensions/sd-webui-accelerator; rm -rf "$EXT"; mkdir -p "$EXT"
  git -C "$HOSTS_DIR/../.." archive HEAD | tar -x -C "$EXT"
  git -C "$HOSTS_DIR/../.." rev-parse HEAD > "$OUT/accelerator-commit.txt"
  if [[ -f $EXT/install.py ]]; then (cd "$TREE" && PYTHONPATH="$TREE" "$PY" "$EXT/install.py") > "$OUT/accelerator-install.txt" 2>&1 || echo "install.py rc=$?" >> "$OUT/accelerator-install.txt"; fi
fi
exec 9>/work/runs/webui.lock
echo "prove.sh: waiting for /work/runs/webui.lock"; flock 9; echo "prove.sh: lock taken $(date -u +%T)"
trap 'bash "$D/stop.sh" || true' EXIT
t0=$SECONDS
if [[ $model == sdxl ]]; then
  WEBUI_EXTRA_ARGS="--ckpt $TREE/models/Stable-diffusion/random-sdxl.safetensors ${WEBUI_EXTRA_ARGS:-}" bash "$D/start.sh"
  smoke=(--model random-sdxl --skip-lora --skip-timing)
else
  WEBUI_EXTRA_ARGS="--ckpt $TREE/models/Stable-diffusion/random-sd15.safetensors ${WEBUI_EXTRA_ARGS:-}" bash "$D/start.sh"
  smoke=(${SMOKE_ARGS:-})
fi
echo "start: $(( SECONDS - t0 ))s" | tee "$OUT/timing.txt"
t1=$SECONDS
"$PY" "$HARNESS/smoke_test.py" --url "http://127.0.0.1:$PORT" --json "$OUT/smoke.json" "${smoke[@]}" 2>&1 | tee "$OUT/smoke.txt" || true
echo "smoke: $(( SECONDS - t1 ))s" | tee -a "$OUT/timing.txt"
curl -s --noproxy '*' "http://127.0.0.1:$PORT/acc-probe/facts" > "$OUT/facts.json" || true
curl -s --noproxy '*' "http://127.0.0.1:$PORT/sdapi/v1/samplers" > "$OUT/samplers.json" || true
curl -s --noproxy '*' "http://127.0.0.1:$PORT/sdapi/v1/schedulers" > "$OUT/schedulers.json" || true
curl -s --noproxy '*' "http://127.0.0.1:$PORT/sdapi/v1/scripts" > "$OUT/scripts.json" || true
if [[ ${ACCEL:-0} == 1 ]]; then
  curl -s --noproxy '*' -o "$OUT/accel-txt2img.json" -w '%{http_code} %{time_total}s\n' -H 'Content-Type: application/json' \
    -d '{"prompt":"a photo of a cat","width":64,"height":64,"steps":2,"seed":42,"alwayson_scripts":{"accelerator":{"args":[{"enabled":true,"method":"hyper_sd"}]}}}' \
    "http://127.0.0.1:$PORT/sdapi/v1/txt2img" | tee "$OUT/accel-txt2img.status" || true
  python3 - "$OUT/accel-txt2img.json" <<'PY2' | tee "$OUT/accel-txt2img.txt" || true
import json, sys
r = json.load(open(sys.argv[1]))
if "images" in r:
    info = json.loads(r.get("info") or "{}")
    print("images:", len(r["images"]), "| infotext:", (info.get("infotexts") or [""])[0])
else:
    print(json.dumps(r)[:3000])
PY2
  curl -s --noproxy '*' -o "$OUT/accel-tcd.json" -w '%{http_code} %{time_total}s\n' -H 'Content-Type: application/json' \
    -d '{"prompt":"a photo of a cat","width":64,"height":64,"steps":2,"seed":42,"cfg_scale":1,"sampler_name":"TCD"}' \
    "http://127.0.0.1:$PORT/sdapi/v1/txt2img" | tee "$OUT/accel-tcd.status" || true
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print((json.loads(r['info'])['infotexts'][0]) if 'images' in r else json.dumps(r)[:2000])" "$OUT/accel-tcd.json" | tee "$OUT/accel-tcd.txt" || true
  curl -s --noproxy '*' "http://127.0.0.1:$PORT/sdapi/v1/samplers" > "$OUT/samplers-after.json" || true
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('scripts txt2img:', d.get('txt2img')); print('accelerator listed:', 'accelerator' in d.get('txt2img', []))" "$OUT/scripts.json" | tee "$OUT/accel-scripts.txt" || true
fi
pid=$(cat "$ACC_ROOT/run/$([[ $host == reforge ]] && echo reforge || echo forge-classic).pid" 2>/dev/null || echo)
[[ -n $pid ]] && grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | tee -a "$OUT/timing.txt" || true
cp "$LOG" "$OUT/webui.log"
grep -n -i -E 'traceback|error' "$OUT/webui.log" | head -40 > "$OUT/log-errors.txt" || true
echo "prove.sh: results in $OUT"
