#!/usr/bin/env bash
# Does the host accept --data-dir, and does its page still load its JavaScript with it?
#   bash datadir_check.sh reforge|classic
# Starts the host (under the machine-wide lock) with --data-dir $ACC_ROOT/<host>-data and --ckpt-dir pointing at the
# tree's checkpoints, fetches /, requests every <script src=...> and file= URL in it, lists the models, stops.
set -Eeuo pipefail
HOSTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
export ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
host=${1:?reforge|classic}
case $host in
  reforge) D=$HOSTS_DIR/reforge; TREE=$ACC_ROOT/reforge; PORT=7875 ;;
  classic) D=$HOSTS_DIR/forge_classic; TREE=$ACC_ROOT/forge-classic; PORT=7876 ;;
  *) exit 2 ;;
esac
DATA=$ACC_ROOT/$host-data; mkdir -p "$DATA"
OUT=${2:-$ACC_ROOT/results/$host-datadir}; mkdir -p "$OUT"
exec 9>/work/runs/webui.lock
echo "datadir_check: waiting for the lock"; flock 9; echo "lock taken $(date -u +%T)"
trap 'bash "$D/stop.sh" || true' EXIT
WEBUI_EXTRA_ARGS="--data-dir $DATA --ckpt-dir $TREE/models/Stable-diffusion --lora-dir $TREE/models/Lora" bash "$D/start.sh"
base=http://127.0.0.1:$PORT
curl -s --noproxy '*' "$base/" > "$OUT/page.html"
echo "page bytes: $(wc -c < "$OUT/page.html")" | tee "$OUT/summary.txt"
grep -o -E '(src|href)="[^"]*file=[^"]*"' "$OUT/page.html" | sed -E 's/^(src|href)="//; s/"$//' | sort -u > "$OUT/assets.txt" || true
echo "file= assets referenced: $(wc -l < "$OUT/assets.txt")" | tee -a "$OUT/summary.txt"
bad=0; js=0
while read -r u; do
  [[ $u == http* ]] || u="$base/${u#/}"
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$u")
  [[ $u == *.js* ]] && js=$((js + 1))
  [[ $code == 200 ]] || { bad=$((bad + 1)); echo "  $code $u" | tee -a "$OUT/summary.txt"; }
done < "$OUT/assets.txt"
echo "js files referenced: $js; assets not 200: $bad" | tee -a "$OUT/summary.txt"
curl -s --noproxy '*' "$base/sdapi/v1/sd-models" | python3 -c "import json,sys; print('sd-models:', [m['model_name'] for m in json.load(sys.stdin)])" | tee -a "$OUT/summary.txt"
curl -s --noproxy '*' "$base/sdapi/v1/cmd-flags" | python3 -c "import json,sys; d=json.load(sys.stdin); print('data_dir:', d.get('data_dir'), '| ckpt_dir:', d.get('ckpt_dir'), '| models_dir:', d.get('models_dir', '<no flag>'))" | tee -a "$OUT/summary.txt"
ls "$DATA" | tee -a "$OUT/summary.txt"
# optional: CFG 1 timing at a larger size on the same start (SD1.5 is the first checkpoint in the folder)
if [[ ${CFG_TIMING:-0} == 1 ]]; then
  py=$ACC_ROOT/$([[ $host == reforge ]] && echo reforge-venv || echo forge-classic-venv)/bin/python
  "$py" "$(dirname "$0")/cfg_timing.py" --url "$base" --size "${CFG_SIZE:-256}" --steps "${CFG_STEPS:-10}" | tee "$OUT/cfg-timing.txt" || true
fi
