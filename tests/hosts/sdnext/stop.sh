#!/usr/bin/env bash
# Stop the SD.Next started by start.sh: only the pid in the pid file, only if it is launch.py.
set -Eeuo pipefail
ACC_ROOT=${ACC_ROOT:-$HOME/webui-harness}
PIDFILE=${SDNEXT_PID:-$ACC_ROOT/run/sdnext.pid}
[ -f "$PIDFILE" ] || { echo "no pid file $PIDFILE"; exit 0; }
PID=$(cat "$PIDFILE")
if ! kill -0 "$PID" 2>/dev/null; then echo "pid $PID not running"; rm -f "$PIDFILE"; exit 0; fi
tr '\0' ' ' < "/proc/$PID/cmdline" | grep -q 'launch.py' || { echo "pid $PID is not launch.py; not touching it" >&2; exit 1; }
kill -TERM "$PID"
for _ in $(seq 30); do kill -0 "$PID" 2>/dev/null || break; sleep 1; done
kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
rm -f "$PIDFILE"
echo "stopped $PID"
