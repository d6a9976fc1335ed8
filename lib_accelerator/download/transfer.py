"""The only place that talks to `huggingface_hub`; it hides the differences between its versions.

Every request goes through the hub client: `hf_hub_url` builds the address, `get_hf_file_metadata` makes the
HEAD request (same headers, token, redirect rules and retries as `hf_hub_download`), and the body is read
from the client's own HTTP session (`get_session()`: the user's proxies, certificates, backend factory and
offline guard) with `build_hf_headers` and `hf_raise_for_status`.

Why not `http_get` for the body: it hands bytes over in 10 MiB chunks and drops the chunk in flight when a
connection breaks, so a resume re-sends up to 10 MiB and a file under 10 MiB always restarts; its Range and
size-check semantics also changed between 0.2x and 2.x. Reading the session's stream in 1 MiB pieces keeps
everything that arrived.

Supported: huggingface_hub 0.20 to 2.x (`>=0.20,<3` in pyproject.toml and install.py); the download tests
run with 0.20.3, 0.26.5, 0.36.2, 1.23.0, 1.33.0 and 2.4.0 (`tests/run_hub_matrix.sh`, part of `.ci/run`).
Signature differences are found with `inspect.signature`; the requests (< 1.0) and httpx (>= 1.0) sessions
are told apart by their methods, never by version number.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import huggingface_hub
from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url

from lib_accelerator.presets.lora_file import LoraFile

# Every version re-exports these from `huggingface_hub.utils` (their home module moved); typed loosely.
hub_utils: Any = importlib.import_module("huggingface_hub.utils")
PIECE = 1024 * 1024
LIBRARY_NAME = "sd-webui-accelerator"
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Remote:
    """Where the bytes of one file come from, as the Hub's HEAD answer said."""

    url: str
    size: int | None
    send_token: bool


@dataclass(frozen=True)
class Stream:
    """An open body: `start` is the offset of the first piece (0 when the server ignored our Range)."""

    start: int
    pieces: Iterator[bytes]


class HubProblem(Exception):
    """A classified failure of the hub client: "denied", "gated", "missing", "transient" (worth a retry)
    or "final" (any other refusal)."""

    def __init__(self, kind: str, status: int, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.status = status
        self.reason = reason


def endpoint_for(explicit: str | None) -> str:
    """The library reads HF_ENDPOINT once at import; read it again so a later setting is honoured."""
    return (explicit or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def offline_by_environment() -> bool:
    return _truthy(os.environ.get("HF_HUB_OFFLINE")) or bool(constants.HF_HUB_OFFLINE)


def _seconds(variable: str, default: float) -> float:
    try:
        return float(os.environ[variable])
    except (KeyError, ValueError):
        return default


@functools.cache
def _parameters(func: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(func).parameters)


def _call(func: Callable[..., Any], **kwargs: Any) -> Any:
    """Call with only the keyword arguments this version of the function accepts."""
    accepted = _parameters(func)
    return func(**{key: value for key, value in kwargs.items() if key in accepted})


def _headers(token: str | None, *, send_token: bool) -> dict[str, str]:
    # token=None lets the client use a saved login (HF_TOKEN / huggingface-cli login); False sends none.
    headers: dict[str, str] = _call(
        hub_utils.build_hf_headers,
        token=token if send_token else False,
        library_name=LIBRARY_NAME,
        library_version=getattr(huggingface_hub, "__version__", None),
    )
    # Hashing needs the raw bytes, never a transparently decompressed body.
    headers["Accept-Encoding"] = "identity"
    return headers


def locate(file: LoraFile, endpoint: str, token: str | None) -> Remote:
    """HEAD request through the hub client; raises HubProblem."""
    url = _call(hf_hub_url, repo_id=file.repo_id, filename=file.filename, revision=file.revision, endpoint=endpoint)
    with _classified():
        metadata = _call(
            get_hf_file_metadata,
            url=url,
            token=token,
            timeout=_seconds("HF_HUB_ETAG_TIMEOUT", float(constants.HF_HUB_ETAG_TIMEOUT)),
            endpoint=endpoint,
            library_name=LIBRARY_NAME,
        )
    location = str(metadata.location or url)
    # Like hf_hub_download: a signed CDN URL on another host must not receive the user's token.
    same_origin = urlparse(location).netloc == urlparse(url).netloc
    size = metadata.size if isinstance(metadata.size, int) else None
    return Remote(url=location, size=size, send_token=same_origin)


@contextmanager
def open_body(remote: Remote, token: str | None, offset: int) -> Iterator[Stream]:
    """GET the body from `offset` on; raises HubProblem. The session follows redirects itself."""
    headers = _headers(token, send_token=remote.send_token)
    if offset:
        headers["Range"] = f"bytes={offset}-"
    timeout = _seconds("HF_HUB_DOWNLOAD_TIMEOUT", float(constants.HF_HUB_DOWNLOAD_TIMEOUT))
    session = hub_utils.get_session()
    with _classified():
        if callable(getattr(session, "stream", None)):  # httpx.Client (huggingface_hub >= 1.0)
            with session.stream("GET", remote.url, headers=headers, timeout=timeout, follow_redirects=True) as reply:
                hub_utils.hf_raise_for_status(reply)
                yield Stream(_start(reply, offset), reply.iter_bytes(PIECE))
        else:  # requests.Session
            reply = session.get(remote.url, headers=headers, timeout=timeout, stream=True, allow_redirects=True)
            try:
                hub_utils.hf_raise_for_status(reply)
                yield Stream(_start(reply, offset), reply.iter_content(PIECE))
            finally:
                reply.close()


def _start(reply: Any, offset: int) -> int:
    # A server may ignore Range and send the whole file with 200: then the bytes start at 0, not at offset.
    return offset if offset and reply.status_code == 206 else 0


@functools.cache
def _errors_of(package: str) -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [OSError]
    module = importlib.import_module(package)
    for name in ("TransportError", "StreamError"):
        if isinstance(getattr(module, name, None), type):
            found.append(getattr(module, name))
    return tuple(found)


def _network_errors() -> tuple[type[BaseException], ...]:
    """requests' exceptions are OSError subclasses; httpx's (huggingface_hub 1.x) and httpx2's (2.x) are
    not: take TransportError/StreamError from whatever package the client's session comes from."""
    return _errors_of(type(hub_utils.get_session()).__module__.split(".")[0])


@contextmanager
def _classified() -> Iterator[None]:
    try:
        yield
    except hub_utils.HfHubHTTPError as error:
        raise _from_http(error) from error
    except _network_errors() as error:
        raise HubProblem("transient", 0, _first_line(error)) from error


def _from_http(error: Exception) -> HubProblem:
    response = getattr(error, "response", None)
    status = int(getattr(response, "status_code", 0) or 0)
    reason = _first_line(error)
    if isinstance(error, hub_utils.GatedRepoError):
        return HubProblem("gated", status or 403, reason)
    if status in (401, 403) or type(error).__name__ == "RepositoryNotFoundError":
        return HubProblem("denied", status or 401, reason)
    if status in (404, 410) or "NotFound" in type(error).__name__:
        return HubProblem("missing", status or 404, reason)
    if status in _RETRY_STATUS or status >= 500:
        return HubProblem("transient", status, f"the server answered HTTP {status}")
    return HubProblem("final" if 400 <= status < 500 else "transient", status, f"HTTP {status}, {reason}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return f"{type(error).__name__}: {line[:200]}"
