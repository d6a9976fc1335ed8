"""The growing `.part` file of one download, and the running sha256 of the bytes it holds."""

from __future__ import annotations

import errno
import hashlib
import queue
import shutil
import threading
from pathlib import Path

from lib_accelerator.download.errors import NotEnoughSpaceError, StorageError
from lib_accelerator.download.hashcache import BLOCK
from lib_accelerator.presets.lora_file import LoraFile


class _Hasher:
    """sha256 on a worker thread: hashlib releases the GIL, so hashing overlaps with receiving the next piece
    instead of adding its time (about a second per GB) to the download."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=32)
        self._thread = threading.Thread(target=self._run, name="accelerator-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (piece := self._pieces.get()) is not None:
            self._digest.update(piece)

    def update(self, piece: bytes) -> None:
        self._pieces.put(piece)

    def finish(self) -> str:
        if self._thread.is_alive():
            self._pieces.put(None)
            self._thread.join()
        return self._digest.hexdigest()


class PartFile:
    """The growing `.part` file plus the running sha256 of what it holds."""

    def __init__(self, file: LoraFile, path: Path) -> None:
        self.file, self.path = file, path
        self.digest = _Hasher()
        try:
            self.handle = path.open("r+b" if path.exists() else "w+b")
            self.done = self._hash_existing()
        except OSError as error:
            raise StorageError(file, path, error) from error

    def _hash_existing(self) -> int:
        done = 0
        for block in iter(lambda: self.handle.read(BLOCK), b""):
            if done + len(block) > self.file.size:
                return self.restart()
            self.digest.update(block)
            done += len(block)
        return done

    def restart(self) -> int:
        self.handle.seek(0)
        self.handle.truncate()
        self.digest.finish()
        self.digest = _Hasher()
        self.done = 0
        return 0

    def sha256(self) -> str:
        return self.digest.finish()

    def write(self, piece: bytes) -> None:
        try:
            self.handle.write(piece)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                free = shutil.disk_usage(self.path.parent).free
                raise NotEnoughSpaceError(self.file, self.path.parent, self.file.size - self.done, free) from error
            raise StorageError(self.file, self.path, error) from error
        self.digest.update(piece)
        self.done += len(piece)

    def close(self) -> None:
        self.digest.finish()
        # No fsync, as in hf_hub_download: on a slow disk it costs as long as the download itself. A crash
        # that truncates the file changes its size, so the hash cache re-hashes and rejects it.
        self.handle.close()
        if self.done == 0:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        self.digest.finish()
        self.handle.close()
        self.path.unlink(missing_ok=True)
