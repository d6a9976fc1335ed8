"""All files of one variant: Wan 2.2's two expert LoRAs go through `ensure_file` one by one, and keep the names
by which Forge Neo finds the second from the first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from lib_accelerator.download.ensure import DownloadOptions, Progress, ensure_file, find_present
from lib_accelerator.presets.lora_file import LoraFile

__all__ = ["FileProgress", "ensure_files", "find_all_present"]

# (file, its number among the variant's files from 1, how many files, bytes done, bytes of this file)
FileProgress = Callable[[LoraFile, int, int, int, int], None]


def ensure_files(
    files: tuple[LoraFile, ...],
    options: DownloadOptions,
    *,
    fetch_hint: str = "",
    progress: FileProgress | None = None,
) -> tuple[Path, ...]:
    """`ensure_file` for every file of a variant (Wan 2.2's two experts), in order: each is locked, resumed and
    verified on its own, so a failure on the second keeps the first. A recipe-only variant has none.

    Files with roles are found by name: Forge Neo loads the second expert's LoRA by replacing the first role
    ("high_noise") with the second's in the tag's name. Copies the user keeps elsewhere are reused only when
    their names are such twins too; otherwise our own copies (twins by their `save_as`) are used."""
    if options.reuse_existing and any(f.role for f in files):
        found = [find_present(f, options) for f in files]
        if _twins(files, found):
            return tuple(p for p in found if p is not None)
        options = replace(options, reuse_existing=False)
    return tuple(
        ensure_file(f, options, fetch_hint=fetch_hint, progress=_for_file(progress, f, i, len(files)))
        for i, f in enumerate(files, start=1)
    )


def _for_file(progress: FileProgress | None, file: LoraFile, number: int, count: int) -> Progress | None:
    """`ensure_file`'s (done, total) callback, told which of the variant's files it is about."""
    return None if progress is None else partial(progress, file, number, count)


def _twins(files: tuple[LoraFile, ...], paths: list[Path | None]) -> bool:
    """The names are the first file's with its role swapped for each other file's role."""
    first = paths[0].stem if paths and paths[0] is not None else None
    if first is None:
        return False
    expected = [first.replace(files[0].role, f.role) for f in files]
    return [p.stem if p is not None else None for p in paths] == expected


def find_all_present(files: tuple[LoraFile, ...], options: DownloadOptions) -> tuple[Path, ...] | None:
    """The verified copies of every file (as `ensure_files` would use them), or None when one is missing."""
    found = [find_present(f, options) for f in files]
    if any(p is None for p in found):
        return None
    if any(f.role for f in files) and not _twins(files, found):
        own = [find_present(f, replace(options, reuse_existing=False)) for f in files]
        return None if any(p is None for p in own) else tuple(p for p in own if p is not None)
    return tuple(p for p in found if p is not None)
