"""pytest fixtures around FakeHub; import them into a test module with `from tests.fakehub.fixtures import *`.

Everything is isolated: the hub client's home, cache and token files point into tmp_path, so no test reads a
developer's saved token or writes to ~/.cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from lib_accelerator.presets.lora_file import LoraFile
from tests.fakehub.server import AGENT_HARNESSES, LOOPBACK_NO_PROXY, FakeHub

REVISION = "0123456789abcdef0123456789abcdef01234567"
REPO = "tester/fast-loras"

__all__ = ["REPO", "REVISION", "download_worker", "fake_hub", "fields", "hf_home", "make_lora", "race_worker"]


@pytest.fixture
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HF_HOME, for this process (constants are read at import) and for child processes (env)."""
    from huggingface_hub import constants

    home = tmp_path / "hf_home"
    home.mkdir()
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # Both loopback hosts bypass any proxy of the machine, so no request of a test can leave it.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, LOOPBACK_NO_PROXY)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT", "HF_HUB_ENABLE_HF_TRANSFER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HOME", str(home), raising=False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"), raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"), raising=False)
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"), raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False, raising=False)
    if hasattr(constants, "AGENT_HARNESSES_PATH"):
        # huggingface_hub 2.x fetches this registry from its default endpoint once a day; a fresh cached
        # copy keeps unit tests off the network.
        registry = home / ".agent_harnesses.json"
        registry.write_text(json.dumps(AGENT_HARNESSES), encoding="utf-8")
        monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(registry))
    return home


@pytest.fixture
def fake_hub(tmp_path: Path, hf_home: Path) -> Iterator[FakeHub]:
    with FakeHub(tmp_path / "hub_files") as hub:
        yield hub


@pytest.fixture
def make_lora(fake_hub: FakeHub) -> Callable[..., tuple[LoraFile, bytes]]:
    """Put a file of random bytes on the fake hub and return its pinned LoraFile and the bytes."""

    def make(size: int = 3 * 1024 * 1024 + 123, name: str = "lightning_4step.safetensors") -> tuple[LoraFile, bytes]:
        data = os.urandom(size)
        fake_hub.add_file(REPO, REVISION, name, data)
        pinned = LoraFile(
            repo_id=REPO,
            filename=name,
            revision=REVISION,
            sha256=hashlib.sha256(data).hexdigest(),
            size=size,
            save_as="accel_" + name,
        )
        return pinned, data

    return make


def race_worker(file_fields: dict[str, Any], lora_dir: str, endpoint: str, barrier: Any, results: Any) -> None:
    """Body of a separate process: wait for the others, then ensure the same file (used by the race test)."""
    from lib_accelerator.download.ensure import DownloadOptions, ensure_file

    file = LoraFile(**file_fields)
    barrier.wait()
    path = ensure_file(file, DownloadOptions(lora_dir=Path(lora_dir), endpoint=endpoint))
    results.put(str(path))


def download_worker(file_fields: dict[str, Any], lora_dir: str, endpoint: str) -> None:
    """Body of a process that a test kills in the middle of the download."""
    from lib_accelerator.download.ensure import DownloadOptions, ensure_file

    ensure_file(LoraFile(**file_fields), DownloadOptions(lora_dir=Path(lora_dir), endpoint=endpoint))


def fields(file: LoraFile) -> dict[str, Any]:
    return asdict(file)
