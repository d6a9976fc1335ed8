"""The fake hub's request log over HTTP, for end-to-end tests that run in another process than the hub:
`GET /records` answers `[{"server", "method", "path", "status"}, ...]`, every request the hub and its CDN saw."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakehub.server import FakeHub


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub  # set on the subclass each HubRecords makes

    def do_GET(self) -> None:
        body = json.dumps([asdict(r) for r in self.hub.records()]).encode()
        self.send_response(200 if self.path == "/records" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: the WebUI log is what a failing run shows


class HubRecords:
    def __init__(self, hub: FakeHub) -> None:
        handler = type("HubRecordsHandler", (_Handler,), {"hub": hub})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/records"

    def __enter__(self) -> HubRecords:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
