"""Benchmark-only: put on PYTHONPATH by benchmarks/harness.py for the WebUI process. An audit hook writes one
JSON line to ACC_BENCH_NETWORK_LOG for every socket connect or name lookup made while code under
ACC_BENCH_WATCH (the extension's folder) is on the call stack. An empty file after start-up means the
extension opened no connection and resolved no name while it loaded."""

import json
import os
import sys

_LOG = os.environ.get("ACC_BENCH_NETWORK_LOG")
_WATCH = os.environ.get("ACC_BENCH_WATCH")
_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request")


def _hook(event, args):
    if event not in _EVENTS:
        return
    frame, files = sys._getframe(1), []
    while frame is not None:
        files.append(frame.f_code.co_filename)
        frame = frame.f_back
    ours = [f for f in files if f.startswith(_WATCH) or "lib_accelerator" in f]
    if ours:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": event, "args": repr(args)[:200], "frame": ours[0]}) + "\n")


if _LOG and _WATCH:
    sys.addaudithook(_hook)
