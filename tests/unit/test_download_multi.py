"""A variant with two files (Wan 2.2's high- and low-noise experts) through the existing download code, against
the fake hub with the real huggingface_hub client: both files, resume of the second, offline, and a file pinned
to a branch, where the sha256 alone decides what is accepted."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from lib_accelerator.download.ensure import (
    DownloadOptions,
    HashMismatchError,
    OfflineMissingError,
    TransferError,
    find_present,
    target_path,
)
from lib_accelerator.download.variant_files import ensure_files, find_all_present
from lib_accelerator.presets.catalog import parse_method
from lib_accelerator.presets.lora_file import LoraFile
from tests.fakehub import FakeHub, Fault
from tests.fakehub.fixtures import *  # noqa: F403
from tests.fakehub.fixtures import REPO

BRANCH = "main"
HIGH = "wan2.2_t2v_high_noise_lora.safetensors"
LOW = "wan2.2_t2v_low_noise_lora.safetensors"


def options_for(hub: FakeHub, lora_dir: Path, **extra: object) -> DownloadOptions:
    return DownloadOptions(lora_dir=lora_dir, endpoint=hub.endpoint, retry_wait=0.01, **extra)  # type: ignore[arg-type]


def _entry(role: str, name: str, data: bytes) -> dict[str, object]:
    return {
        "role": role, "repo_id": REPO, "filename": name, "revision": BRANCH, "on_branch": True,
        "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "save_as": "accel-" + name,
    }  # fmt: skip


@pytest.fixture
def two_experts(fake_hub: FakeHub) -> tuple[tuple[LoraFile, ...], dict[str, bytes]]:
    """A Wan-like preset with two files on the hub's main branch, read through the catalogue's validation."""
    data = {HIGH: os.urandom(2 * 1024 * 1024 + 17), LOW: os.urandom(3 * 1024 * 1024 + 5)}
    for name, payload in data.items():
        fake_hub.add_file(REPO, BRANCH, name, payload)
    preset = {
        "schema_version": 1, "id": "wan_test", "name": "Wan test", "license": "Apache-2.0", "commercial_use": True,
        "variants": [{
            "id": "wan-test-4step", "family": "wan22", "base_variants": ["t2v-a14b"], "label": "4 steps",
            "steps": 4, "strength": 1, "cfg": 1, "shift": 5, "sampler": "euler", "schedule": "simple",
            "negative_prompt": "no",
            "files": [_entry("high_noise", HIGH, data[HIGH]), _entry("low_noise", LOW, data[LOW])],
        }],
    }  # fmt: skip
    fake_hub.preset = preset  # type: ignore[attr-defined]  # for the command-line test
    variant = parse_method(json.loads(json.dumps(preset)), "wan_test.json").variants[0]
    assert variant.file is variant.files[0] and variant.lora_stem == "accel-" + HIGH.removesuffix(".safetensors")
    return variant.files, data


def test_both_files_are_downloaded_and_verified(fake_hub, two_experts, tmp_path):
    files, data = two_experts
    paths = ensure_files(files, options_for(fake_hub, tmp_path / "lora"))
    assert [p.read_bytes() for p in paths] == [data[HIGH], data[LOW]]
    assert [p.name for p in paths] == ["accel-" + HIGH, "accel-" + LOW]
    # Forge Neo's refiner swap finds the second file by replacing high_noise with low_noise in the stem
    assert paths[0].stem.replace("high_noise", "low_noise") == paths[1].stem
    fake_hub.reset_counters()
    assert ensure_files(files, options_for(fake_hub, tmp_path / "lora")) == paths
    assert fake_hub.records() == []


def test_second_file_resumes_and_the_first_is_kept(fake_hub, two_experts, tmp_path):
    files, data = two_experts
    lora_dir = tmp_path / "lora"
    outage = Fault("status", status=503, on="cdn", times=None)
    fake_hub.set_fault(REPO, LOW, Fault("drop", after=1_500_000, then=outage))
    with pytest.raises(TransferError):
        ensure_files(files, options_for(fake_hub, lora_dir, retries=1))
    assert target_path(files[0], options_for(fake_hub, lora_dir)).read_bytes() == data[HIGH]
    assert not target_path(files[1], options_for(fake_hub, lora_dir)).exists()
    fake_hub.clear_faults()
    fake_hub.reset_counters()
    paths = ensure_files(files, options_for(fake_hub, lora_dir))
    assert paths[1].read_bytes() == data[LOW]
    gets = fake_hub.records(lambda r: r.method == "GET" and r.path.startswith("/cdn/"))
    assert len(gets) == 1 and gets[0].range is not None  # only the second file, from where it stopped


def test_offline_serves_both_or_names_the_missing_one(fake_hub, two_experts, tmp_path):
    files, data = two_experts
    lora_dir = tmp_path / "lora"
    with pytest.raises(OfflineMissingError):
        ensure_files(files, options_for(fake_hub, lora_dir, offline=True), fetch_hint="wan-test-4step")
    assert fake_hub.records() == []
    ensure_files(files[:1], options_for(fake_hub, lora_dir))
    with pytest.raises(OfflineMissingError, match=LOW.removesuffix(".safetensors")) as caught:
        ensure_files(files, options_for(fake_hub, lora_dir, offline=True), fetch_hint="wan-test-4step")
    assert "wan-test-4step" in str(caught.value)
    ensure_files(files, options_for(fake_hub, lora_dir))
    fake_hub.reset_counters()
    offline = ensure_files(files, options_for(fake_hub, lora_dir, offline=True))
    assert [p.read_bytes() for p in offline] == [data[HIGH], data[LOW]] and fake_hub.records() == []
    assert all(find_present(f, options_for(fake_hub, lora_dir)) for f in files)
    assert find_all_present(files, options_for(fake_hub, lora_dir)) == offline


def test_a_branch_that_moved_on_is_refused_by_the_sha256(fake_hub, two_experts, tmp_path):
    files, _ = two_experts
    fake_hub.add_file(REPO, BRANCH, LOW, os.urandom(files[1].size))  # same size, other bytes on main
    with pytest.raises(HashMismatchError, match=files[1].sha256):
        ensure_files(files, options_for(fake_hub, tmp_path / "lora"))
    assert not target_path(files[1], options_for(fake_hub, tmp_path / "lora")).exists()


def test_the_users_own_copies_are_reused_only_as_twins(fake_hub, two_experts, tmp_path):
    files, data = two_experts
    lora_dir = tmp_path / "lora"
    (lora_dir / "wan").mkdir(parents=True)
    (lora_dir / "wan" / HIGH).write_bytes(data[HIGH])  # upstream names: high_noise / low_noise twins
    (lora_dir / "wan" / LOW).write_bytes(data[LOW])
    assert [p.name for p in ensure_files(files, options_for(fake_hub, lora_dir))] == [HIGH, LOW]
    assert fake_hub.records() == []
    assert find_all_present(files, options_for(fake_hub, lora_dir)) == (lora_dir / "wan" / HIGH, lora_dir / "wan" / LOW)
    (lora_dir / "wan" / LOW).rename(lora_dir / "wan" / "my_low.safetensors")  # no longer the high file's twin
    assert find_all_present(files, options_for(fake_hub, lora_dir)) is None
    paths = ensure_files(files, options_for(fake_hub, lora_dir))
    assert [p.name for p in paths] == ["accel-" + HIGH, "accel-" + LOW]
    assert [p.read_bytes() for p in paths] == [data[HIGH], data[LOW]]
    assert find_all_present(files, options_for(fake_hub, lora_dir)) == paths


def test_fetch_and_verify_from_the_command_line(fake_hub, two_experts, tmp_path, capsys):
    from lib_accelerator.cli.main import main

    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "wan_test.json").write_text(json.dumps(fake_hub.preset), encoding="utf-8")
    common = ["--presets-dir", str(presets)]
    where = ["--lora-dir", str(tmp_path / "lora")]
    assert main([*common, "fetch", "wan-test-4step", *where, "--endpoint", fake_hub.endpoint]) == 0
    out = capsys.readouterr().out
    assert "ok     wan-test-4step (high_noise)" in out and "ok     wan-test-4step (low_noise)" in out
    assert main([*common, "verify", "wan_test", *where]) == 0
    assert capsys.readouterr().out.count("ok     wan-test-4step") == 2


def test_progress_names_the_file_it_is_about(fake_hub, two_experts, tmp_path):
    """Each report says which file and which of how many, also when the first was already there."""
    files, data = two_experts
    lora_dir = tmp_path / "lora"
    ensure_files(files[:1], options_for(fake_hub, lora_dir))  # the high-noise expert is on disk already
    seen: list[tuple[str, int, int, int, int]] = []
    ensure_files(files, options_for(fake_hub, lora_dir), progress=lambda f, *rest: seen.append((f.save_as, *rest)))
    assert {(name, number, count) for name, number, count, _, _ in seen} <= {
        ("accel-" + HIGH, 1, 2),
        ("accel-" + LOW, 2, 2),
    }
    low = [(done, total) for name, _, _, done, total in seen if name == "accel-" + LOW]
    assert low and low[-1] == (len(data[LOW]), len(data[LOW]))  # the second file's bytes under its own name
    assert all(total == len(data[LOW]) for _, total in low)
