"""Interrupted downloads resume at the byte where data stopped (a Range request), within the same call and
on the next call or in the next process, and never leave a truncated file under the final name."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from lib_accelerator.download.ensure import DownloadOptions, TransferError, ensure_file, target_path
from lib_accelerator.download.transfer import PIECE
from tests.fakehub import FakeHub, Fault
from tests.fakehub.fixtures import *  # noqa: F403
from tests.fakehub.fixtures import download_worker, fields

SLICE = 256 * 1024  # the fake hub writes in slices this big; one may be counted after the client left


def options_for(hub: FakeHub, lora_dir: Path, **extra: object) -> DownloadOptions:
    return DownloadOptions(lora_dir=lora_dir, endpoint=hub.endpoint, retry_wait=0.01, **extra)  # type: ignore[arg-type]


def body_gets(hub: FakeHub) -> list:
    return hub.records(lambda r: r.method == "GET" and r.path.startswith("/cdn/"))


def part_of(file, lora_dir: Path) -> Path:
    target = target_path(file, DownloadOptions(lora_dir=lora_dir))
    return target.with_name(f"{file.save_as}.{file.sha256[:12]}.part")


def test_dropped_connection_resumes_inside_the_same_call(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    fake_hub.set_fault(file.repo_id, file.filename, Fault("drop", after=2_500_000))
    assert ensure_file(file, options_for(fake_hub, tmp_path / "lora")).read_bytes() == data
    first, second = body_gets(fake_hub)
    assert first.range is None and first.sent == 2_500_000
    resumed_at = int(second.range.removeprefix("bytes=").rstrip("-"))
    assert 2_500_000 - PIECE <= resumed_at <= 2_500_000
    assert second.sent == file.size - resumed_at
    assert fake_hub.bytes_sent() <= file.size + PIECE


def test_connection_that_keeps_dropping_still_finishes(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    fake_hub.set_fault(file.repo_id, file.filename, Fault("drop", after=PIECE + 1000, times=None))
    assert ensure_file(file, options_for(fake_hub, tmp_path / "lora", retries=0)).read_bytes() == data
    assert fake_hub.bytes_sent() <= file.size + len(body_gets(fake_hub)) * 1000


def test_next_call_resumes_where_a_failed_call_stopped(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    lora_dir = tmp_path / "lora"
    outage = Fault("status", status=503, on="cdn", times=None)
    fake_hub.set_fault(file.repo_id, file.filename, Fault("drop", after=2_200_000, then=outage))
    with pytest.raises(TransferError) as caught:
        ensure_file(file, options_for(fake_hub, lora_dir, retries=1))
    kept = part_of(file, lora_dir).stat().st_size
    assert kept >= 2_200_000 - PIECE
    assert "kept and the next try resumes there" in str(caught.value)
    assert not target_path(file, options_for(fake_hub, lora_dir)).exists()
    fake_hub.clear_faults()
    fake_hub.reset_counters()
    assert ensure_file(file, options_for(fake_hub, lora_dir)).read_bytes() == data
    (resume,) = body_gets(fake_hub)
    assert resume.range == f"bytes={kept}-" and resume.sent == file.size - kept
    assert not part_of(file, lora_dir).exists()


def test_stall_times_out_and_resumes(fake_hub, make_lora, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "1")
    file, data = make_lora()
    fake_hub.set_fault(file.repo_id, file.filename, Fault("stall", after=2 * PIECE + 5000, seconds=2.5))
    started = time.monotonic()
    assert ensure_file(file, options_for(fake_hub, tmp_path / "lora")).read_bytes() == data
    assert time.monotonic() - started < 2.5  # gave up on the stalled answer instead of waiting it out
    second = body_gets(fake_hub)[1]
    assert second.range == f"bytes={2 * PIECE}-"
    time.sleep(1.0)  # let the stalled server thread notice the client has gone
    assert fake_hub.bytes_sent() <= file.size + 5000 + 2 * SLICE


def test_server_that_ignores_range_restarts_cleanly(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    lora_dir = tmp_path / "lora"
    part = part_of(file, lora_dir)
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:1_000_000])
    fake_hub.set_fault(file.repo_id, file.filename, Fault("ignore_range"))
    assert ensure_file(file, options_for(fake_hub, lora_dir)).read_bytes() == data
    (get,) = body_gets(fake_hub)
    assert get.range == "bytes=1000000-" and get.status == 200 and get.sent == file.size


def test_killed_process_leaves_a_part_file_that_the_next_one_resumes(fake_hub, make_lora, tmp_path):
    file, data = make_lora(size=4 * 1024 * 1024)
    lora_dir = tmp_path / "lora"
    fake_hub.set_fault(file.repo_id, file.filename, Fault("throttle", rate=2 * 1024 * 1024, times=None))
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=download_worker, args=(fields(file), str(lora_dir), fake_hub.endpoint))
    child.start()
    part = part_of(file, lora_dir)
    deadline = time.monotonic() + 30
    while not (part.exists() and part.stat().st_size >= 2 * PIECE) and time.monotonic() < deadline:
        time.sleep(0.02)
    child.kill()
    child.join()
    kept = part.stat().st_size
    assert kept >= 2 * PIECE
    assert not target_path(file, options_for(fake_hub, lora_dir)).exists()
    fake_hub.clear_faults()
    assert ensure_file(file, options_for(fake_hub, lora_dir)).read_bytes() == data
    assert body_gets(fake_hub)[-1].range == f"bytes={kept}-"
    assert fake_hub.bytes_sent() <= file.size + PIECE + 2 * SLICE
