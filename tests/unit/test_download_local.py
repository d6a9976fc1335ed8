"""What happens without (or before) the network: reusing a copy the user has, offline mode, disk space,
the hash cache, verify_file, and two real processes racing for one file."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from lib_accelerator.download import ensure as download
from lib_accelerator.download import hashcache
from lib_accelerator.download.ensure import (
    DownloadOptions,
    HashMismatchError,
    NotEnoughSpaceError,
    OfflineMissingError,
    SizeMismatchError,
    ensure_file,
    find_present,
    target_path,
    verify_file,
)
from tests.fakehub import FakeHub, Fault
from tests.fakehub.fixtures import *  # noqa: F403
from tests.fakehub.fixtures import fields, race_worker


def options_for(hub: FakeHub, lora_dir: Path, **extra: object) -> DownloadOptions:
    return DownloadOptions(lora_dir=lora_dir, endpoint=hub.endpoint, retry_wait=0.01, **extra)  # type: ignore[arg-type]


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every full read-and-hash of a file, so tests can prove the cache spared one."""
    calls: list[Path] = []
    real = hashcache.sha256_of

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(hashcache, "sha256_of", counting)
    return calls


def test_copy_under_another_name_is_reused_with_zero_transfer(fake_hub, make_lora, tmp_path, hash_calls):
    file, data = make_lora()
    lora_dir = tmp_path / "lora"
    mine = lora_dir / "my stuff" / "lightning_renamed.safetensors"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(data)
    (lora_dir / "same_size_other.safetensors").write_bytes(os.urandom(file.size))
    (lora_dir / "other_size.safetensors").write_bytes(data[:-1])
    assert ensure_file(file, options_for(fake_hub, lora_dir)) == mine
    assert fake_hub.records() == []
    assert sorted(p.name for p in hash_calls) == ["lightning_renamed.safetensors", "same_size_other.safetensors"]
    hash_calls.clear()
    assert find_present(file, options_for(fake_hub, lora_dir)) == mine
    assert hash_calls == []  # answered from the hash cache


def test_reuse_can_be_switched_off(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    lora_dir = tmp_path / "lora"
    lora_dir.mkdir()
    (lora_dir / "copy.safetensors").write_bytes(data)
    path = ensure_file(file, options_for(fake_hub, lora_dir, reuse_existing=False))
    assert path == target_path(file, options_for(fake_hub, lora_dir))
    assert fake_hub.bytes_sent() == file.size


def test_present_check_costs_a_stat_and_notices_changes(fake_hub, make_lora, tmp_path, hash_calls):
    file, _ = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    path = ensure_file(file, options)
    assert hash_calls == []  # hashed while downloading, then remembered
    assert find_present(file, options) == path
    assert hash_calls == []
    with path.open("r+b") as handle:
        handle.write(b"\0" * 16)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert find_present(file, options) is None
    assert hash_calls == [path]


def test_wrong_file_under_the_final_name_is_replaced(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    target = target_path(file, options)
    target.parent.mkdir(parents=True)
    target.write_bytes(os.urandom(file.size))
    assert find_present(file, options) is None
    assert ensure_file(file, options).read_bytes() == data


def test_offline_sends_nothing_and_says_how_to_fetch(fake_hub, make_lora, tmp_path):
    file, _ = make_lora()
    lora_dir = tmp_path / "lora dir"
    with pytest.raises(OfflineMissingError) as caught:
        ensure_file(file, options_for(fake_hub, lora_dir, offline=True), fetch_hint="sdxl-lightning-4step")
    assert f'python -m lib_accelerator fetch sdxl-lightning-4step --lora-dir "{lora_dir}"' in str(caught.value)
    assert file.save_as in str(caught.value)
    assert fake_hub.records() == []
    assert not lora_dir.exists()


def test_offline_environment_variable_is_honoured(fake_hub, make_lora, tmp_path, monkeypatch):
    file, _ = make_lora()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineMissingError, match="lib_accelerator fetch"):
        ensure_file(file, options_for(fake_hub, tmp_path / "lora"))
    assert fake_hub.records() == []


def test_offline_still_serves_what_is_there(fake_hub, make_lora, tmp_path):
    file, _ = make_lora()
    path = ensure_file(file, options_for(fake_hub, tmp_path / "lora"))
    fake_hub.reset_counters()
    assert ensure_file(file, options_for(fake_hub, tmp_path / "lora", offline=True)) == path
    assert fake_hub.records() == []


def test_not_enough_space_is_said_before_any_request(fake_hub, make_lora, tmp_path, monkeypatch):
    file, _ = make_lora()
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(download.shutil, "disk_usage", lambda _: usage._replace(free=1_000_000))
    with pytest.raises(NotEnoughSpaceError) as caught:
        ensure_file(file, options_for(fake_hub, tmp_path / "lora"))
    assert "needs 3.1 MB" in str(caught.value) and "only 1.0 MB free" in str(caught.value)
    assert fake_hub.records() == []


def test_verify_file_names_both_hashes(make_lora, tmp_path):
    file, data = make_lora()
    good, bad, short = tmp_path / "good.bin", tmp_path / "bad.bin", tmp_path / "short.bin"
    good.write_bytes(data)
    bad.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    short.write_bytes(data[:10])
    verify_file(file, good)
    with pytest.raises(HashMismatchError) as caught:
        verify_file(file, bad)
    assert file.sha256 in str(caught.value) and caught.value.actual_sha256 in str(caught.value)
    assert str(bad) in str(caught.value)
    with pytest.raises(SizeMismatchError, match="is 10 bytes"):
        verify_file(file, short)


def test_unreadable_hash_cache_only_costs_a_rehash(fake_hub, make_lora, tmp_path):
    file, _ = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    path = ensure_file(file, options)
    (path.parent / hashcache.CACHE_NAME).write_text("{not json", encoding="utf-8")
    assert find_present(file, options) == path


def test_two_processes_share_one_download(fake_hub, make_lora, tmp_path):
    file, data = make_lora(size=2 * 1024 * 1024)
    lora_dir = tmp_path / "lora"
    # Slow enough that the second process surely arrives while the first one is still downloading.
    fake_hub.set_fault(file.repo_id, file.filename, Fault("throttle", rate=2 * 1024 * 1024, times=None))
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=race_worker, args=(fields(file), str(lora_dir), fake_hub.endpoint, barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    paths = {results.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert paths == {str(target_path(file, options_for(fake_hub, lora_dir)))}
    assert Path(paths.pop()).read_bytes() == data
    assert fake_hub.requests("GET", file.filename) == 1
    assert fake_hub.bytes_sent(file.filename) == file.size
