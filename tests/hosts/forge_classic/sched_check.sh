#!/usr/bin/env bash
# Forge Classic: how a sampler + schedule pair is expressed. Starts Classic (SD1.5) under the lock and runs 4-step
# txt2img jobs: "Euler SGMUniform"; "Euler" + override k_sched_type=karras; "Euler" + scheduler "SGM Uniform" (ignored?).
#   bash sched_check.sh [WAIT_SECONDS]
set -Eeuo pipefail
D=$(cd "$(dirname "$0")" && pwd)
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
OUT=$ACC_ROOT/results/classic-sched; mkdir -p "$OUT"
exec 9>/work/runs/webui.lock
flock -w "${1:-1800}" 9 || { echo "sched_check: lock not free, giving up"; exit 1; }
echo "lock taken $(date -u +%T)"
trap 'bash "$D/stop.sh" || true' EXIT
WEBUI_EXTRA_ARGS="--ckpt $ACC_ROOT/forge-classic/models/Stable-diffusion/random-sd15.safetensors" bash "$D/start.sh"
"$ACC_ROOT/forge-classic-venv/bin/python" - <<'PY' | tee "$OUT/sched.txt"
import json, urllib.request, base64, hashlib
op = urllib.request.build_opener(urllib.request.ProxyHandler({}))
def post(body):
    b = dict(prompt="a photo of a cat", width=64, height=64, steps=4, seed=3, cfg_scale=1); b.update(body)
    r = urllib.request.Request("http://127.0.0.1:7876/sdapi/v1/txt2img", json.dumps(b).encode(), {"Content-Type": "application/json"})
    d = json.loads(op.open(r, timeout=900).read())
    return hashlib.sha1(base64.b64decode(d["images"][0])).hexdigest()[:10], json.loads(d["info"])["infotexts"][0].splitlines()[-1]
for name, body in [("Euler", dict(sampler_name="Euler")),
                   ("Euler SGMUniform", dict(sampler_name="Euler SGMUniform")),
                   ("Euler + scheduler 'SGM Uniform'", dict(sampler_name="Euler", scheduler="SGM Uniform")),
                   ("Euler + k_sched_type karras", dict(sampler_name="Euler", override_settings={"k_sched_type": "karras"})),
                   ("Euler Karras (no such sampler)", dict(sampler_name="Euler Karras")),
                   ("LCM", dict(sampler_name="LCM")), ("LCM Karras", dict(sampler_name="LCM Karras"))]:
    try:
        print(f"{name}: {post(body)}", flush=True)
    except Exception as e:
        print(f"{name}: ERROR {e}", flush=True)
r = urllib.request.Request("http://127.0.0.1:7876/sdapi/v1/options")
print("k_sched_type after:", json.loads(op.open(r).read()).get("k_sched_type"))
PY
