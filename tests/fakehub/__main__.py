"""Serve a folder as a fake Hub: `python -m tests.fakehub --port 0 --serve DIR --port-file F`.

DIR is laid out as `DIR/<owner>/<name>/<revision>/<path>`. Point the WebUI at it with
`HF_ENDPOINT=http://127.0.0.1:PORT`; LFS files redirect to a CDN on 127.0.0.2. The chosen port is printed
and, with --port-file, written to a file (atomically, so a script polling for it never reads half a number).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from tests.fakehub.server import CDN_HOST, FakeHub


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakehub", description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path, required=True, help="folder laid out as <owner>/<name>/<revision>/<path>")
    parser.add_argument("--port", type=int, default=0, help="hub port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--cdn-port", type=int, default=0, help="port of the redirect target for LFS files")
    parser.add_argument(
        "--cdn-host", default=CDN_HOST, help=f"loopback address of the redirect target for LFS files ({CDN_HOST})"
    )
    parser.add_argument("--port-file", type=Path, help="write the chosen hub port to this file")
    args = parser.parse_args(argv)
    if not args.serve.is_dir():
        parser.error(f"--serve {args.serve} is not a folder")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with FakeHub(args.serve, port=args.port, cdn_port=args.cdn_port, cdn_host=args.cdn_host) as hub:
        print(f"fakehub: serving {args.serve} at {hub.endpoint} (cdn {hub.cdn_origin})", flush=True)
        if args.port_file is not None:
            temp = args.port_file.with_name(args.port_file.name + ".tmp")
            temp.write_text(f"{hub.port}\n", encoding="utf-8")
            os.replace(temp, args.port_file)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
