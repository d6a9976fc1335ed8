"""Get a pinned LoRA file into the LoRA folder so that what is used is exactly what the preset names.

A file counts as present only when its size and sha256 match the `LoraFile`. Bytes arrive in
`<save_as>.<sha256[:12]>.part` beside the final name (never a *.safetensors name: the WebUI lists every
*.safetensors/*.pt/*.ckpt under the LoRA folder) and are renamed into place only after verification.
An interrupted download resumes from the bytes already on disk. Processes that need the same file at the
same time queue on a lock file and the later ones use the first one's result. A copy the user already
keeps anywhere under the LoRA folder is reused. Offline, nothing touches the network.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from lib_accelerator.download import transfer
from lib_accelerator.download.errors import (
    AccessDeniedError,
    DownloadError,
    HashMismatchError,
    NotEnoughSpaceError,
    OfflineMissingError,
    RemoteFileMissingError,
    SizeMismatchError,
    StorageError,
    TransferError,
)
from lib_accelerator.download.hashcache import CACHE_NAME, HashCache, same_size_loras, sha256_of
from lib_accelerator.download.partfile import PartFile
from lib_accelerator.presets.lora_file import LoraFile

__all__ = [
    "AccessDeniedError",
    "DownloadError",
    "DownloadOptions",
    "HashMismatchError",
    "NotEnoughSpaceError",
    "OfflineMissingError",
    "RemoteFileMissingError",
    "SizeMismatchError",
    "StorageError",
    "TransferError",
    "ensure_file",
    "find_present",
    "target_path",
    "verify_file",
]

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DownloadOptions:
    lora_dir: Path
    subfolder: str = "accelerator"
    offline: bool = False
    endpoint: str | None = None
    token: str | None = field(default=None, repr=False)
    reuse_existing: bool = True
    retries: int = 5
    retry_wait: float = 1.0


def target_path(file: LoraFile, options: DownloadOptions) -> Path:
    return Path(options.lora_dir) / options.subfolder / file.save_as


def verify_file(file: LoraFile, path: Path) -> None:
    """Raise HashMismatchError unless `path` holds exactly the pinned bytes (always reads the file)."""
    size = path.stat().st_size
    if size != file.size:
        raise SizeMismatchError(file, size, str(path))
    actual = sha256_of(path)
    if actual != file.sha256:
        raise HashMismatchError(file, actual, str(path), deleted=False)


def find_present(file: LoraFile, options: DownloadOptions) -> Path | None:
    """The verified final file, or a reusable copy elsewhere under the LoRA folder. Never uses the network."""
    target = target_path(file, options)
    cache = HashCache(target.with_name(CACHE_NAME))
    if _holds(target, file, cache):
        return target
    if options.reuse_existing:
        return _find_copy(file, options, cache, exclude=target)
    return None


def ensure_file(
    file: LoraFile,
    options: DownloadOptions,
    *,
    fetch_hint: str = "",
    progress: Progress | None = None,
) -> Path:
    """Return the path of a verified copy, downloading it first if needed. Raises DownloadError subclasses.

    `fetch_hint` is the id printed in the offline error's `python -m lib_accelerator fetch ID` command.
    """
    found = find_present(file, options)
    if found is not None:
        _report(progress, file.size, file.size)
        return found
    target = target_path(file, options)
    if options.offline or transfer.offline_by_environment():
        raise OfflineMissingError(file, target.parent, Path(options.lora_dir), fetch_hint)
    _make_folder(file, target.parent)
    with _exclusive(file, target.parent):
        cache = HashCache(target.with_name(CACHE_NAME))
        if _holds(target, file, cache):
            return target
        _remove_bad_target(file, target)
        digest = _download(file, options, target, progress)
        cache.remember(target, digest)
    return target


def _holds(path: Path, file: LoraFile, cache: HashCache) -> bool:
    try:
        if path.stat().st_size != file.size:
            return False
        return cache.sha256(path) == file.sha256
    except FileNotFoundError:
        return False
    except OSError as error:
        raise StorageError(file, path, error) from error


def _find_copy(file: LoraFile, options: DownloadOptions, cache: HashCache, exclude: Path) -> Path | None:
    for candidate in same_size_loras(Path(options.lora_dir), file.size):
        if candidate == exclude:
            continue
        try:
            if cache.sha256(candidate) == file.sha256:
                log.info("Using %s, an existing copy of %s", candidate, file.save_as)
                return candidate
        except OSError as error:
            # A copy we cannot read cannot be used; the download goes ahead instead.
            log.info("Skipping unreadable %s: %s", candidate, error)
    return None


def _make_folder(file: LoraFile, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(file, folder, error) from error


@contextmanager
def _exclusive(file: LoraFile, folder: Path) -> Iterator[None]:
    lock = filelock.FileLock(str(folder / f".{file.save_as}.lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        log.info("Waiting for another process that is downloading %s", file.save_as)
        lock.acquire()
    except OSError as error:
        raise StorageError(file, folder, error) from error
    try:
        yield
    finally:
        lock.release()


def _remove_bad_target(file: LoraFile, target: Path) -> None:
    """A wrong file under the final name would be listed and loaded by the WebUI: take it away first."""
    if target.exists():
        log.warning("Removing %s: it is not the expected file (sha256 %s)", target, file.sha256)
        try:
            target.unlink()
        except OSError as error:
            raise StorageError(file, target, error) from error


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _download(file: LoraFile, options: DownloadOptions, target: Path, progress: Progress | None) -> str:
    part_path = target.with_name(f"{file.save_as}.{file.sha256[:12]}.part")
    for stale in target.parent.glob(f"{file.save_as}.*.part"):
        if stale != part_path:
            stale.unlink(missing_ok=True)
    part = PartFile(file, part_path)
    try:
        _check_space(file, target.parent, file.size - part.done)
        with transfer.hub_utils.tqdm(
            total=file.size, initial=part.done, unit="B", unit_scale=True, unit_divisor=1024, desc=file.save_as
        ) as bar:

            def advance(done: int) -> None:
                bar.update(done - bar.n)
                _report(progress, done, file.size)

            _fetch(file, options, part, advance)
    except BaseException:
        part.close()
        raise
    actual = part.sha256()
    if actual != file.sha256:
        part.discard()
        raise HashMismatchError(file, actual, f"The download of {file.save_as}")
    try:
        part.close()
        os.replace(part_path, target)
    except OSError as error:
        raise StorageError(file, target, error) from error
    return actual


def _check_space(file: LoraFile, folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise NotEnoughSpaceError(file, folder, needed, free)


def _fetch(file: LoraFile, options: DownloadOptions, part: PartFile, advance: Callable[[int], None]) -> None:
    """Fill `part` up to file.size; retry transient failures, resuming at the byte where data stopped."""
    endpoint = transfer.endpoint_for(options.endpoint)
    failures = attempts = 0
    advance(part.done)
    while part.done < file.size:
        attempts += 1
        before = part.done
        try:
            remote = transfer.locate(file, endpoint, options.token)
            if remote.size is not None and remote.size != file.size:
                raise SizeMismatchError(file, remote.size, f"The file offered by {endpoint}")
            _receive(file, options, remote, part, advance)
            if part.done < file.size:
                raise transfer.HubProblem("transient", 0, "the connection ended before the whole file arrived")
        except transfer.HubProblem as problem:
            _raise_if_final(problem, file, endpoint)
            if problem.kind == "final":
                raise TransferError(file, endpoint, problem.reason, part.done, attempts) from problem
            failures = 0 if part.done > before else failures + 1
            if failures > options.retries:
                raise TransferError(file, endpoint, problem.reason, part.done, attempts) from problem
            log.warning("Download of %s interrupted (%s); resuming at byte %d", file.save_as, problem.reason, part.done)
            time.sleep(min(options.retry_wait * 2 ** max(failures - 1, 0), 30.0))


def _receive(
    file: LoraFile,
    options: DownloadOptions,
    remote: transfer.Remote,
    part: PartFile,
    advance: Callable[[int], None],
) -> None:
    with transfer.open_body(remote, options.token, part.done) as stream:
        if stream.start != part.done:
            part.restart()
        for piece in stream.pieces:
            if part.done + len(piece) > file.size:
                part.discard()
                raise SizeMismatchError(file, part.done + len(piece), f"The download of {file.save_as}")
            part.write(piece)
            advance(part.done)


def _raise_if_final(problem: transfer.HubProblem, file: LoraFile, endpoint: str) -> None:
    page = f"{endpoint}/{file.repo_id}"
    if problem.kind in ("denied", "gated"):
        raise AccessDeniedError(file, problem.status, page, gated=problem.kind == "gated") from problem
    if problem.kind == "missing":
        raise RemoteFileMissingError(file, endpoint, problem.status) from problem
