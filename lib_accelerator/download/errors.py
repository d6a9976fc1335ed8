"""What can go wrong while getting a LoRA file, worded for a WebUI user: what happened and what to do.

Every class derives from `DownloadError`, so the WebUI glue can catch one type and show `str(error)`.
Messages name the file (its `save_as` name and where it comes from) and never contain an access token:
nothing here ever receives one.
"""

from __future__ import annotations

from pathlib import Path

from lib_accelerator.presets.lora_file import LoraFile


def megabytes(size: int) -> str:
    """Sizes the way download dialogs show them: decimal megabytes."""
    return f"{size / 1_000_000:,.0f} MB" if size >= 10_000_000 else f"{size / 1_000_000:,.1f} MB"


def describe(file: LoraFile) -> str:
    return f"{file.save_as} ({file.repo_id}/{file.filename} at revision {file.revision[:12]})"


class DownloadError(Exception):
    """Base of every download problem; `file` is the LoRA file concerned."""

    def __init__(self, message: str, file: LoraFile | None = None) -> None:
        super().__init__(message)
        self.file = file


class OfflineMissingError(DownloadError):
    def __init__(self, file: LoraFile, folder: Path, lora_dir: Path, fetch_hint: str) -> None:
        lora_arg = f'"{lora_dir}"' if " " in str(lora_dir) else str(lora_dir)
        super().__init__(
            f"{describe(file)} is not downloaded yet, and downloads are switched off (offline mode or "
            f"HF_HUB_OFFLINE=1). On a computer with internet access run:\n"
            f"    python -m lib_accelerator fetch {fetch_hint or file.stem} --lora-dir {lora_arg}\n"
            f"then copy {file.save_as} into {folder} here, or switch offline mode off.",
            file,
        )
        self.command = f"python -m lib_accelerator fetch {fetch_hint or file.stem} --lora-dir {lora_arg}"


class HashMismatchError(DownloadError):
    """The bytes are not the pinned file. Nothing was moved into place; the bad copy was deleted."""

    def __init__(self, file: LoraFile, actual_sha256: str, source: str, *, deleted: bool = True) -> None:
        tail = " The bad copy was deleted; trying again downloads it afresh." if deleted else ""
        super().__init__(
            f"{source} is not the expected file {describe(file)}: expected sha256 {file.sha256}, "
            f"got sha256 {actual_sha256}.{tail} If this keeps happening, your HF_ENDPOINT mirror or a "
            f"proxy is serving other content.",
            file,
        )
        self.expected_sha256 = file.sha256
        self.actual_sha256 = actual_sha256


class SizeMismatchError(HashMismatchError):
    """The size alone shows the content is wrong; no hash was needed (so `actual_sha256` is empty)."""

    def __init__(self, file: LoraFile, actual_size: int, source: str) -> None:
        DownloadError.__init__(
            self,
            f"{source} is {actual_size:,} bytes but {describe(file)} must be {file.size:,} bytes "
            f"(sha256 {file.sha256}). Nothing was downloaded or replaced. The server (or your HF_ENDPOINT "
            f"mirror) offers a different version of this file; the preset pins revision {file.revision}.",
            file,
        )
        self.expected_sha256 = file.sha256
        self.actual_sha256 = ""
        self.actual_size = actual_size


class NotEnoughSpaceError(DownloadError):
    def __init__(self, file: LoraFile, folder: Path, needed: int, free: int) -> None:
        super().__init__(
            f"Not enough free disk space to download {describe(file)}: it needs {megabytes(needed)}, "
            f"but {folder} has only {megabytes(free)} free. Free some space, or start the WebUI with "
            f"--lora-dir on a larger disk.",
            file,
        )
        self.needed = needed
        self.free = free


class AccessDeniedError(DownloadError):
    def __init__(self, file: LoraFile, status: int, page: str, *, gated: bool) -> None:
        if gated:
            advice = (
                f"This repository is gated: open {page} while logged in, accept its conditions, then make an "
                f"access token available (HF_TOKEN, or `huggingface-cli login`) and try again."
            )
        else:
            advice = (
                f"The repository is private or does not exist, or your access token is invalid. Check {page} "
                f"and your token (HF_TOKEN, or `huggingface-cli login`)."
            )
        super().__init__(f"The Hub refused access to {describe(file)} (HTTP {status}). {advice}", file)
        self.status = status
        self.gated = gated


class RemoteFileMissingError(DownloadError):
    def __init__(self, file: LoraFile, endpoint: str, status: int) -> None:
        super().__init__(
            f"{describe(file)} was not found on {endpoint} (HTTP {status}). The preset may point to a file "
            f"or revision that was removed, or your HF_ENDPOINT mirror does not have it.",
            file,
        )
        self.status = status


class TransferError(DownloadError):
    """The network failed and retrying did not help; the partial download is kept for the next try."""

    def __init__(self, file: LoraFile, endpoint: str, reason: str, done: int, attempts: int) -> None:
        kept = f" {megabytes(done)} of {megabytes(file.size)} are kept and the next try resumes there." if done else ""
        super().__init__(
            f"Could not download {describe(file)} from {endpoint} after {attempts} attempt"
            f"{'' if attempts == 1 else 's'}: {reason}.{kept} "
            f"Check the internet connection (or HF_ENDPOINT / proxy settings) and try again.",
            file,
        )
        self.reason = reason


class StorageError(DownloadError):
    """The LoRA folder cannot be written (permissions, read-only disk, ...)."""

    def __init__(self, file: LoraFile, path: Path, error: OSError) -> None:
        super().__init__(
            f"Cannot write {path} while getting {describe(file)}: {error.strerror or error}. Check that the "
            f"LoRA folder exists and is writable.",
            file,
        )
