# Sourced by */stop.sh with PIDF set: stop only the recorded pid, and only if it is launch.py.
[[ -f $PIDF ]] || { echo "stop.sh: no pid file $PIDF"; exit 0; }
pid=$(cat "$PIDF")
if ! kill -0 "$pid" 2>/dev/null; then echo "stop.sh: pid $pid not running"; rm -f "$PIDF"; exit 0; fi
tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'launch.py' || { echo "stop.sh: pid $pid is not launch.py; not touching it" >&2; exit 1; }
kill -TERM "$pid"
for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
rm -f "$PIDF"; echo "stop.sh: stopped $pid"
