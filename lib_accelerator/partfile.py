"""The growing `.part` file of one download, and the running sha256 of the bytes it holds."""

from __future__ import annotations

import errno
import hashlib
import shutil
from pathlib import Path

from lib_accelerator.catalog import LoraFile
from lib_accelerator.download_errors import NotEnoughSpaceError, StorageError
from lib_accelerator.hashcache import BLOCK


class PartFile:
    """The growing `.part` file plus the running sha256 of what it holds."""

    def __init__(self, file: LoraFile, path: Path) -> None:
        self.file, self.path = file, path
        self.digest = hashlib.sha256()
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
        self.digest = hashlib.sha256()
        self.done = 0
        return 0

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
        # No fsync, as in hf_hub_download: on a slow disk it costs as long as the download itself. A crash
        # that truncates the file changes its size, so the hash cache re-hashes and rejects it.
        self.handle.close()
        if self.done == 0:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)
