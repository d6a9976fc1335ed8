"""A small stand-in for the Hugging Face Hub's file endpoints, on loopback addresses only.

It answers what `huggingface_hub` asks when it downloads one file: HEAD and GET of
`/{owner}/{name}/resolve/{revision}/{path}`. LFS-style files (weights) are answered with a redirect to a
"CDN", as the real Hub does. The hub listens on 127.0.0.1 and the CDN on 127.0.0.2 (all of 127/8 is
loopback on Linux): clients treat a hop to another *host* specially (they stop following the HEAD there and
never send it the Authorization header; huggingface_hub 1.33 follows a HEAD redirect whenever the host name
stays the same, whatever the port), so the CDN must not share the hub's host name, as cdn-lfs.hf.co does not
share huggingface.co's. Files live on disk
as `ROOT/<owner>/<name>/<revision>/<path>`.

Faults can be switched on per file so tests can see how a client copes, and every request is recorded
(method, path, status, body bytes sent, whether it carried a token) so tests can count what went over the wire.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

HOST = "127.0.0.1"
CDN_HOST = "127.0.0.2"
# For NO_PROXY: a client behind a proxy must still reach both servers directly.
LOOPBACK_NO_PROXY = f"{HOST},{CDN_HOST},localhost"
LFS_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".gguf")
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_CDN = re.compile(r"^/cdn/(?P<repo>[^/]+/[^/]+)/(?P<rev>[^/]+)/(?P<file>[^?]+)")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_SLICE = 256 * 1024
_FLIP = bytes(255 - i for i in range(256))
AGENT_HARNESSES = {"standardEnvVars": [], "harnesses": {}}


@dataclass
class Fault:
    """One misbehaviour for one file. `times=None` keeps it on; otherwise it fires that many times.

    kind: "status" (answer `status` instead of the file), "drop" (close the connection after `after` body
    bytes), "stall" (pause `seconds` after `after` body bytes), "wrong_bytes" (same size, other content),
    "wrong_size" (advertise `delta` more bytes than there are), "throttle" (send at most `rate` bytes/s),
    "ignore_range" (answer 200 with the whole file to a Range request).
    on: which requests it hits: "head", "get" (GET on the hub), "cdn", "body" (any GET that sends bytes),
    or "any". `then` takes over once this fault has fired `times` times.
    """

    kind: str
    status: int = 500
    after: int = 0
    seconds: float = 0.0
    delta: int = 1
    rate: int = 0
    on: str = "any"
    times: int | None = 1
    then: Fault | None = None

    def hits(self, where: str) -> bool:
        if self.on == "any" or self.on == where:
            return True
        return self.on == "body" and where in ("get", "cdn")


@dataclass
class Record:
    """One request. `server` is "hub" or "cdn": which of the two servers received it."""

    server: str
    method: str
    path: str
    status: int
    sent: int
    authorized: bool
    range: str | None


@dataclass
class _Blob:
    path: Path
    size: int
    sha256: str
    git_sha1: str


@dataclass
class _State:
    root: Path
    faults: dict[str, Fault] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    blobs: dict[tuple[str, int, int], _Blob] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cdn_origin: str = ""

    def take_fault(self, key: str, where: str, kinds: tuple[str, ...]) -> Fault | None:
        with self.lock:
            fault = self.faults.get(key)
            if fault is None or fault.kind not in kinds or not fault.hits(where):
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    if fault.then is None:
                        del self.faults[key]
                    else:
                        self.faults[key] = fault.then
            return fault

    def blob(self, path: Path) -> _Blob:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self.lock:
            known = self.blobs.get(key)
        if known is not None:
            return known
        sha, git = hashlib.sha256(), hashlib.sha1()
        git.update(f"blob {stat.st_size}\0".encode())
        with path.open("rb") as handle:
            for piece in iter(lambda: handle.read(1 << 20), b""):
                sha.update(piece)
                git.update(piece)
        found = _Blob(path, stat.st_size, sha.hexdigest(), git.hexdigest())
        with self.lock:
            self.blobs[key] = found
        return found


def commit_for(revision: str) -> str:
    """The commit id the fake hub reports: the revision itself when it already looks like one."""
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    return hashlib.sha1(f"rev:{revision}".encode()).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakehub/1"
    state: _State
    role: str

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `records` instead of a request log on stderr."""

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def _dispatch(self, method: str) -> None:
        # Recorded before answering: a client may act on the answer before this thread runs again.
        self._record = Record(
            self.role,
            method,
            self.path,
            0,
            0,
            "authorization" in (k.lower() for k in self.headers),
            self.headers.get("Range"),
        )
        with self.state.lock:
            self.state.records.append(self._record)
        try:
            self._route(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    @property
    def _status(self) -> int:
        return self._record.status

    @_status.setter
    def _status(self, value: int) -> None:
        self._record.status = value

    @property
    def _sent(self) -> int:
        return self._record.sent

    def _route(self, method: str) -> None:
        if self.path.split("?")[0] == "/api/agent-harnesses":
            self._send_json(200, AGENT_HARNESSES, method)
            return
        pattern = _RESOLVE if self.role == "hub" else _CDN
        match = pattern.match(self.path.split("?")[0] if self.role == "hub" else self.path)
        if match is None:
            self._send_error(404, "EntryNotFound", "Not found", method)
            return
        repo, rev, name = match["repo"], match["rev"], match["file"]
        where = "cdn" if self.role == "cdn" else ("head" if method == "HEAD" else "get")
        key = f"{repo}/{name}"
        if self.role == "hub" and not self._allowed(repo, method):
            return
        fault = self.state.take_fault(key, where, ("status",))
        if fault is not None:
            code = {401: "RepoNotFound", 403: "GatedRepo", 404: "EntryNotFound"}.get(fault.status, "")
            self._send_error(fault.status, code, f"fault {fault.status}", method)
            return
        self._serve_file(method, where, repo, rev, name)

    def _allowed(self, repo: str, method: str) -> bool:
        token = self.state.tokens.get(repo)
        if token is None:
            return True
        sent = self.headers.get("Authorization", "")
        if sent == f"Bearer {token}":
            return True
        if sent:
            self._send_error(403, "GatedRepo", f"Access to model {repo} is restricted.", method)
        else:
            self._send_error(401, "GatedRepo", f"Access to model {repo} is restricted. Please log in.", method)
        return False

    def _serve_file(self, method: str, where: str, repo: str, rev: str, name: str) -> None:
        repo_dir = self.state.root / repo
        path = repo_dir / rev / name
        if not repo_dir.is_dir():
            self._send_error(401, "RepoNotFound", "Repository not found", method)
            return
        if not (repo_dir / rev).is_dir():
            self._send_error(404, "RevisionNotFound", f"Invalid rev id: {rev}", method)
            return
        if not path.is_file() or ".." in Path(name).parts:
            self._send_error(404, "EntryNotFound", f"{name} does not exist", method)
            return
        blob = self.state.blob(path)
        key = f"{repo}/{name}"
        if self.role == "hub" and name.endswith(LFS_SUFFIXES):
            self._redirect_to_cdn(method, where, key, repo, rev, name, blob)
            return
        extra = {"X-Repo-Commit": commit_for(rev), "ETag": f'"{blob.git_sha1}"'} if self.role == "hub" else {}
        self._send_body(method, where, key, blob, extra)

    def _redirect_to_cdn(
        self, method: str, where: str, key: str, repo: str, rev: str, name: str, blob: _Blob
    ) -> None:
        size = blob.size
        wrong = self.state.take_fault(key, where, ("wrong_size",))
        if wrong is not None:
            size += wrong.delta
        self._status = 302
        self.send_response(302)
        self.send_header("Location", f"{self.state.cdn_origin}/cdn/{repo}/{rev}/{name}?X-Amz-Signature=fake")
        self.send_header("X-Repo-Commit", commit_for(rev))
        self.send_header("X-Linked-Etag", f'"{blob.sha256}"')
        self.send_header("X-Linked-Size", str(size))
        self.send_header("ETag", f'"{blob.git_sha1}"')
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_body(self, method: str, where: str, key: str, blob: _Blob, extra: dict[str, str]) -> None:
        start, end = 0, blob.size
        wanted = _RANGE.match(self.headers.get("Range", ""))
        ignore = self.state.take_fault(key, where, ("ignore_range",)) if method == "GET" else None
        partial = wanted is not None and ignore is None
        if partial and wanted is not None:
            start = int(wanted[1])
            end = min(blob.size, int(wanted[2]) + 1) if wanted[2] else blob.size
            if start >= blob.size or start >= end:
                self._send_error(416, "", "Range Not Satisfiable", method)
                return
        self._status = 206 if partial else 200
        self.send_response(self._status)
        advertised = blob.size
        if method == "HEAD":
            wrong = self.state.take_fault(key, where, ("wrong_size",))
            advertised += wrong.delta if wrong is not None else 0
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start if method == "GET" else advertised))
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{blob.size}")
        self.end_headers()
        if method == "GET":
            body = self.state.take_fault(key, where, ("drop", "stall", "wrong_bytes", "throttle"))
            self._copy(blob.path, start, end, body)

    def _copy(self, path: Path, start: int, end: int, fault: Fault | None) -> None:
        kind = fault.kind if fault is not None else ""
        with path.open("rb") as source:
            for piece in _slices(source, start, end, wrong=kind == "wrong_bytes"):
                if fault is not None and kind in ("drop", "stall") and self._sent + len(piece) > fault.after:
                    cut = fault.after - self._sent
                    self._write(piece[:cut])
                    if kind == "drop":
                        self.close_connection = True
                        return
                    time.sleep(fault.seconds)
                    self._write(piece[cut:])
                    fault = None
                    continue
                self._write(piece)
                if kind == "throttle" and fault is not None:
                    time.sleep(len(piece) / fault.rate)

    def _write(self, data: bytes) -> None:
        # Counted before the write returns, for the same reason; a failed write over-counts one slice at most.
        self._record.sent += len(data)
        self.wfile.write(data)

    def _send_error(self, status: int, code: str, message: str, method: str) -> None:
        body = json.dumps({"error": message}).encode()
        self._status = status
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "GET":
            self._write(body)

    def _send_json(self, status: int, payload: object, method: str) -> None:
        body = json.dumps(payload).encode()
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "GET":
            self._write(body)


def _slices(source: BinaryIO, start: int, end: int, *, wrong: bool) -> Iterator[bytes]:
    source.seek(start)
    offset = start
    while offset < end:
        piece = source.read(min(_SLICE, end - offset))
        if not piece:
            return
        offset += len(piece)
        # Flipping every byte keeps the size and guarantees another sha256.
        yield piece.translate(_FLIP) if wrong else piece


class FakeHub:
    """Both servers (hub on `HOST`, CDN on `cdn_host`) and the shared state. Use as a context manager, or
    `start()` / `stop()`. `cdn_host=HOST` puts the CDN on the hub's host (another port), like a mirror that
    serves files itself; the real Hub's layout is the default."""

    def __init__(self, root: Path, port: int = 0, cdn_port: int = 0, cdn_host: str = CDN_HOST) -> None:
        self.root = Path(root)
        self.state = _State(root=self.root)
        hub = self._make("hub", HOST, port)
        try:
            cdn = self._make("cdn", cdn_host, cdn_port)
        except OSError:
            hub.server_close()
            raise
        self._servers = [hub, cdn]
        self.state.cdn_origin = f"http://{cdn_host}:{self._servers[1].server_address[1]}"
        self._threads: list[threading.Thread] = []

    def _make(self, role: str, host: str, port: int) -> ThreadingHTTPServer:
        handler = type(f"_{role.title()}Handler", (_Handler,), {"state": self.state, "role": role})
        try:
            server = ThreadingHTTPServer((host, port), handler)
        except OSError as error:
            # On Linux every 127.x.y.z is loopback; elsewhere (macOS) 127.0.0.2 needs an alias first.
            raise OSError(
                error.errno, f"fake hub: cannot listen on {host}:{port} for the {role} ({error.strerror})"
            ) from error
        server.daemon_threads = True
        server.block_on_close = False
        return server

    @property
    def port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def cdn_origin(self) -> str:
        return self.state.cdn_origin

    def start(self) -> FakeHub:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_file(self, repo_id: str, revision: str, filename: str, data: bytes) -> Path:
        path = self.root / repo_id / revision / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def set_fault(self, repo_id: str, filename: str, fault: Fault) -> None:
        with self.state.lock:
            self.state.faults[f"{repo_id}/{filename}"] = fault

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def require_token(self, repo_id: str, token: str) -> None:
        """Make a repository gated: 401 without a token, 403 with a wrong one."""
        with self.state.lock:
            self.state.tokens[repo_id] = token

    def records(self, predicate: Callable[[Record], bool] | None = None) -> list[Record]:
        with self.state.lock:
            return [r for r in self.state.records if predicate is None or predicate(r)]

    def bytes_sent(self, filename: str | None = None) -> int:
        return sum(r.sent for r in self.records(lambda r: filename is None or filename in r.path))

    def requests(self, method: str | None = None, filename: str | None = None) -> int:
        return len(
            self.records(
                lambda r: (method is None or r.method == method) and (filename is None or filename in r.path)
            )
        )

    def reset_counters(self) -> None:
        with self.state.lock:
            self.state.records.clear()

    @contextmanager
    def fault(self, repo_id: str, filename: str, fault: Fault) -> Iterator[Fault]:
        self.set_fault(repo_id, filename, fault)
        try:
            yield fault
        finally:
            self.clear_faults()
