"""ensure_file against the fake hub, driven through the real huggingface_hub client: the happy path and
every fault the Hub can throw at a download. Each fault test checks what the user is told, that nothing
corrupt sits under the final name, and that a retry after the fault clears succeeds."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lib_accelerator.download.ensure import (
    AccessDeniedError,
    DownloadError,
    DownloadOptions,
    HashMismatchError,
    RemoteFileMissingError,
    SizeMismatchError,
    TransferError,
    ensure_file,
    target_path,
)
from lib_accelerator.download.transfer import PIECE
from lib_accelerator.presets.lora_file import LoraFile
from tests.fakehub import HOST, FakeHub, Fault
from tests.fakehub.fixtures import *  # noqa: F403
from tests.fakehub.fixtures import REPO, REVISION

SCANNED = (".safetensors", ".pt", ".ckpt")


def options_for(hub: FakeHub, lora_dir: Path, **extra: object) -> DownloadOptions:
    return DownloadOptions(lora_dir=lora_dir, endpoint=hub.endpoint, retry_wait=0.01, **extra)  # type: ignore[arg-type]


def leftovers(lora_dir: Path) -> list[str]:
    """Files the WebUI would list as LoRAs, besides nothing."""
    return sorted(str(p.relative_to(lora_dir)) for p in lora_dir.rglob("*") if p.name.lower().endswith(SCANNED))


def assert_nothing_usable(lora_dir: Path) -> None:
    assert leftovers(lora_dir) == []
    assert list(lora_dir.rglob("*.part")) == []


def test_download_lands_verified_under_final_name(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    seen: list[tuple[int, int]] = []
    names_meanwhile: set[str] = set()

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        names_meanwhile.update(p.name for p in (tmp_path / "lora").rglob("*"))

    options = options_for(fake_hub, tmp_path / "lora")
    path = ensure_file(file, options, progress=progress)
    assert f"{file.save_as}.{file.sha256[:12]}.part" in names_meanwhile
    assert not any(name.lower().endswith(SCANNED) for name in names_meanwhile - {file.save_as})
    assert path == tmp_path / "lora" / "accelerator" / file.save_as == target_path(file, options)
    assert path.read_bytes() == data
    assert leftovers(tmp_path / "lora") == [f"accelerator/{file.save_as}"]
    assert [(r.server, r.method) for r in fake_hub.records()] == [("hub", "HEAD"), ("cdn", "GET")]
    assert fake_hub.bytes_sent() == file.size
    assert seen[-1] == (file.size, file.size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_second_call_uses_the_verified_file_without_network(fake_hub, make_lora, tmp_path):
    file, _ = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    first = ensure_file(file, options)
    fake_hub.reset_counters()
    assert ensure_file(file, options) == first
    assert fake_hub.records() == []


def test_wrong_bytes_are_rejected_named_and_deleted(fake_hub, make_lora, tmp_path, hf_home):
    file, data = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    fake_hub.set_fault(file.repo_id, file.filename, Fault("wrong_bytes"))
    with pytest.raises(HashMismatchError) as caught:
        ensure_file(file, options)
    flipped = hashlib.sha256(data.translate(bytes(range(255, -1, -1)))).hexdigest()
    message = str(caught.value)
    assert file.save_as in message and file.sha256 in message and flipped in message
    assert caught.value.actual_sha256 == flipped
    assert_nothing_usable(tmp_path / "lora")
    assert not (hf_home / "hub").exists() or not any((hf_home / "hub").rglob("*.safetensors"))
    assert ensure_file(file, options).read_bytes() == data


def test_wrong_advertised_size_stops_before_any_byte(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    fake_hub.set_fault(file.repo_id, file.filename, Fault("wrong_size", delta=1000, on="head"))
    with pytest.raises(SizeMismatchError) as caught:
        ensure_file(file, options)
    assert f"{file.size + 1000:,} bytes" in str(caught.value) and file.save_as in str(caught.value)
    assert fake_hub.bytes_sent() == 0
    assert_nothing_usable(tmp_path / "lora")
    assert ensure_file(file, options).read_bytes() == data


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (404, RemoteFileMissingError, "not found"),
        (401, AccessDeniedError, "private or does not exist"),
        (403, AccessDeniedError, "gated"),
    ],
)
def test_refusals_say_what_to_do(fake_hub, make_lora, tmp_path, status, error, words):
    file, data = make_lora()
    options = options_for(fake_hub, tmp_path / "lora")
    fake_hub.set_fault(file.repo_id, file.filename, Fault("status", status=status, on="head", times=None))
    with pytest.raises(error) as caught:
        ensure_file(file, options)
    message = str(caught.value)
    assert f"HTTP {status}" in message and words in message and file.save_as in message
    assert fake_hub.requests("HEAD") == 1  # a refusal is final: no retries hammering the Hub
    assert_nothing_usable(tmp_path / "lora")
    fake_hub.clear_faults()
    assert ensure_file(file, options).read_bytes() == data


def test_gated_repo_works_with_a_token_that_never_reaches_the_cdn(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    fake_hub.require_token(file.repo_id, "hf_gate_pass_1234")
    with pytest.raises(AccessDeniedError, match="gated"):
        ensure_file(file, options_for(fake_hub, tmp_path / "lora"))
    fake_hub.reset_counters()
    path = ensure_file(file, options_for(fake_hub, tmp_path / "lora", token="hf_gate_pass_1234"))
    assert path.read_bytes() == data
    # One HEAD on the hub (with the token) that stops at the redirect, one GET on the CDN's own host (without).
    head, get = fake_hub.records()
    assert (head.server, head.method, head.authorized) == ("hub", "HEAD", True)
    assert (get.server, get.method, get.authorized) == ("cdn", "GET", False)
    assert get.path.startswith("/cdn/")


def test_a_mirror_with_its_files_on_its_own_host_never_gets_the_token_on_another_port(tmp_path, hf_home):
    """A mirror (HF_ENDPOINT) may redirect to another port of the same host. huggingface_hub 1.33 then
    follows its HEAD there (it compares host names), 0.x and 1.23 do not; either way the body's GET goes to
    another origin, which must not receive the token."""
    with FakeHub(tmp_path / "mirror", cdn_host=HOST) as mirror:
        data = os.urandom(PIECE + 77)
        mirror.add_file(REPO, REVISION, "mirrored.safetensors", data)
        mirror.require_token(REPO, "hf_mirror_pass_1234")
        sha256 = hashlib.sha256(data).hexdigest()
        file = LoraFile(REPO, "mirrored.safetensors", REVISION, sha256, len(data), save_as="m.safetensors")
        path = ensure_file(file, options_for(mirror, tmp_path / "lora", token="hf_mirror_pass_1234"))
        assert path.read_bytes() == data
        assert urlparse(mirror.cdn_origin).hostname == urlparse(mirror.endpoint).hostname
        gets = mirror.records(lambda r: r.method == "GET")
        assert [(r.server, r.authorized) for r in gets] == [("cdn", False)]
        assert mirror.records(lambda r: r.server == "hub")[0].authorized


@pytest.mark.parametrize("where", ["head", "cdn"])
def test_server_error_once_is_retried(fake_hub, make_lora, tmp_path, where):
    file, data = make_lora()
    fake_hub.set_fault(file.repo_id, file.filename, Fault("status", status=500, on=where))
    assert ensure_file(file, options_for(fake_hub, tmp_path / "lora")).read_bytes() == data
    assert fake_hub.bytes_sent(file.filename) <= file.size + 100


def test_server_error_always_gives_up_clearly_then_recovers(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    options = options_for(fake_hub, tmp_path / "lora", retries=2)
    fake_hub.set_fault(file.repo_id, file.filename, Fault("status", status=503, on="cdn", times=None))
    with pytest.raises(TransferError) as caught:
        ensure_file(file, options)
    message = str(caught.value)
    assert "HTTP 503" in message and "3 attempts" in message and file.save_as in message
    assert_nothing_usable(tmp_path / "lora")
    fake_hub.clear_faults()
    assert ensure_file(file, options).read_bytes() == data


def test_token_never_appears_in_logs_errors_or_repr(fake_hub, make_lora, tmp_path, caplog, capfd):
    secret = "hf_SECRETtoken0123456789"
    file, _ = make_lora()
    fake_hub.require_token(file.repo_id, "hf_the_right_one")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("huggingface_hub").setLevel(logging.DEBUG)
    options = options_for(fake_hub, tmp_path / "lora", token=secret)
    with pytest.raises(DownloadError) as caught:
        ensure_file(file, options)
    fake_hub.require_token(file.repo_id, secret)
    ensure_file(file, options)
    out, err = capfd.readouterr()
    texts = [caplog.text, out, err, str(caught.value), repr(caught.value), repr(options), str(options)]
    assert all(secret not in text for text in texts)
    assert any(r.authorized for r in fake_hub.records())  # the token was really used


def test_body_longer_than_pinned_is_rejected(fake_hub, make_lora, tmp_path):
    file, data = make_lora()
    longer = data + b"extra"
    fake_hub.add_file(file.repo_id, file.revision, file.filename, longer)
    fake_hub.set_fault(file.repo_id, file.filename, Fault("wrong_size", delta=-5, on="head"))
    with pytest.raises(SizeMismatchError):
        ensure_file(file, options_for(fake_hub, tmp_path / "lora"))
    assert_nothing_usable(tmp_path / "lora")


def test_reads_pieces_small_enough_to_resume_exactly():
    assert PIECE <= 1024 * 1024


def test_hf_endpoint_set_after_import_is_honoured(fake_hub, make_lora, tmp_path, monkeypatch):
    file, data = make_lora()
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.endpoint)  # the library read it (unset) at import
    options = DownloadOptions(lora_dir=tmp_path / "lora")
    assert ensure_file(file, options).read_bytes() == data


def test_other_client_errors_are_final_and_named(fake_hub, make_lora, tmp_path):
    file, _ = make_lora()
    fake_hub.set_fault(file.repo_id, file.filename, Fault("status", status=400, on="cdn", times=None))
    with pytest.raises(TransferError, match=r"after 1 attempt: HTTP 400"):
        ensure_file(file, options_for(fake_hub, tmp_path / "lora"))
