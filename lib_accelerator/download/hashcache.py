"""sha256 of local files, remembered by (path, size, mtime_ns) in a small JSON file.

Hashing a 1.4 GB LoRA takes about a second; the WebUI asks "is the file there?" on every generation. The
cache makes the second question cost one `stat`. A changed file (other size or mtime) is hashed again, so the
cache can only save work, never vouch for bytes it has not seen. Losing the cache (deleted, unreadable,
written by two processes at once) only costs a re-hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from lib_accelerator.atomic_write import write_text_atomic

CACHE_NAME = ".accelerator-sha256.json"
BLOCK = 4 * 1024 * 1024
_VERSION = 1

log = logging.getLogger(__name__)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as handle:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while True:
            count = handle.readinto(buffer)
            if not count:
                return digest.hexdigest()
            digest.update(view[:count])


class HashCache:
    """One JSON file mapping absolute paths to `[size, mtime_ns, sha256]`."""

    def __init__(self, cache_file: Path) -> None:
        self.cache_file = cache_file
        self._entries: dict[str, list[object]] | None = None

    def _load(self) -> dict[str, list[object]]:
        if self._entries is None:
            self._entries = {}
            try:
                data = json.loads(self.cache_file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return self._entries
            except (OSError, ValueError) as error:
                log.warning("Ignoring unreadable hash cache %s (%s); hashing again.", self.cache_file, error)
                return self._entries
            if isinstance(data, dict) and data.get("version") == _VERSION and isinstance(data.get("files"), dict):
                self._entries = {k: v for k, v in data["files"].items() if isinstance(v, list) and len(v) == 3}
        return self._entries

    def known(self, path: Path, stat: os.stat_result | None = None) -> str | None:
        """The cached sha256 if the file is unchanged since it was hashed; no reading of the file."""
        stat = stat or path.stat()
        entry = self._load().get(os.path.abspath(path))
        if entry is not None and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return str(entry[2])
        return None

    def sha256(self, path: Path) -> str:
        stat = path.stat()
        cached = self.known(path, stat)
        if cached is not None:
            return cached
        digest = sha256_of(path)
        self.remember(path, digest, stat)
        return digest

    def remember(self, path: Path, digest: str, stat: os.stat_result | None = None) -> None:
        """Record a hash computed elsewhere (e.g. while downloading), for the file as it is now."""
        stat = stat or path.stat()
        entries = self._load()
        entries[os.path.abspath(path)] = [stat.st_size, stat.st_mtime_ns, digest]
        self._save(entries)

    def _save(self, entries: dict[str, list[object]]) -> None:
        live = {p: e for p, e in entries.items() if os.path.exists(p)}
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            # A reader sees the old or the new cache, never half of one; two gradio threads (or processes)
            # saving at once each write a temporary file of their own, and the last complete one wins.
            write_text_atomic(self.cache_file, json.dumps({"version": _VERSION, "files": live}, indent=0))
        except OSError as error:
            # A read-only LoRA folder must still work; it only means hashing again next time.
            log.warning("Could not save hash cache %s (%s); files will be hashed again.", self.cache_file, error)


def same_size_loras(root: Path, size: int) -> Iterator[Path]:
    """*.safetensors files of exactly `size` bytes under root (the WebUI follows symlinked folders too)."""
    seen: set[tuple[int, int]] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        try:
            info = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        for name in names:
            # Only .safetensors: the WebUI would load a .pt/.ckpt with torch, and these bytes are safetensors.
            if not name.lower().endswith(".safetensors"):
                continue
            path = Path(folder) / name
            try:
                if path.stat().st_size == size:
                    yield path
            except OSError:
                continue
