# Sourced by reforge/start.sh and forge_classic/start.sh with DIR PY PORT LOG PIDF ARGS set.
# Same behaviour as the harness's start.sh: tcmalloc preload, nohup setsid, pid file, wait for the API.
export HF_HOME=${HF_HOME:-$ACC_ROOT/hf-home} HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
[[ -x $PY && -f $DIR/launch.py ]] || { echo "start.sh: $DIR or $PY missing: run setup.sh first" >&2; exit 1; }
mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDF")"
if [[ -f $PIDF ]] && kill -0 "$(cat "$PIDF")" 2>/dev/null; then echo "start.sh: already running, pid $(cat "$PIDF")"; exit 0; fi
if curl -s --noproxy '*' -o /dev/null "http://127.0.0.1:$PORT/"; then echo "start.sh: port $PORT is taken" >&2; exit 1; fi
# shellcheck disable=SC2206
EXTRA=(${WEBUI_EXTRA_ARGS:-})
if [[ -z ${NO_TCMALLOC:-} && -z ${LD_PRELOAD:-} ]]; then
  tc=$(ldconfig -p | grep -oE '/[^ ]*libtcmalloc(_minimal)?\.so\.[0-9]+' | head -1 || true)
  [[ -n $tc ]] && export LD_PRELOAD=$tc && echo "start.sh: LD_PRELOAD=$tc"
fi
cd "$DIR"
: > "$LOG"
nohup setsid "$PY" launch.py "${ARGS[@]}" "${EXTRA[@]}" >> "$LOG" 2>&1 < /dev/null &
pid=$!; echo "$pid" > "$PIDF"
echo "start.sh: pid $pid, log $LOG"
t0=$SECONDS; limit=${START_TIMEOUT:-420}
until curl -sf --noproxy '*' -o /dev/null "http://127.0.0.1:$PORT/sdapi/v1/sd-models"; do
  kill -0 "$pid" 2>/dev/null || { echo "start.sh: process died; last log lines:" >&2; tail -40 "$LOG" >&2; rm -f "$PIDF"; exit 1; }
  (( SECONDS - t0 < limit )) || { echo "start.sh: API not up after ${limit}s; log: $LOG" >&2; exit 1; }
  sleep 2
done
rss=$(ps -o rss= -p "$pid" | tr -d ' ')
echo "start.sh: API up after $(( SECONDS - t0 ))s at http://127.0.0.1:$PORT/ (RSS $(( rss / 1024 )) MiB)"
