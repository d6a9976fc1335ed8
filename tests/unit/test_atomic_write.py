"""lib_accelerator.atomic_write: the one way the core replaces a small file (recipes, hash cache, converted
LoRAs). Nothing may stay behind, a failure leaves the old file, and concurrent writers never mix bytes."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lib_accelerator.atomic_write import atomic_write, write_text_atomic
from lib_accelerator.download.hashcache import CACHE_NAME, HashCache


def test_success_replaces_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "recipe.json"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target, suffix=".writing") as handle:
        handle.write(b"new ")
        # Until the block ends the target is untouched and the bytes sit in a hidden name beside it.
        assert target.read_text(encoding="utf-8") == "old"
        (temp,) = [p for p in tmp_path.iterdir() if p != target]
        assert temp.name.startswith(".recipe.json.") and temp.name.endswith(".writing")
        handle.write(b"content")
    assert target.read_text(encoding="utf-8") == "new content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.json"]


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "cache.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk on fire"), atomic_write(target) as handle:
        handle.write(b"half of it")
        raise RuntimeError("disk on fire")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_a_rejecting_check_keeps_the_old_file_and_sees_the_complete_bytes(tmp_path):
    target = tmp_path / "lora.safetensors"
    seen: list[bytes] = []

    def reject(path: Path) -> None:
        seen.append(path.read_bytes())
        raise ValueError("not a safetensors file")

    with pytest.raises(ValueError, match="not a safetensors"), atomic_write(target, check=reject) as handle:
        handle.write(b"abc")
        handle.write(b"def")
    assert seen == [b"abcdef"]  # flushed and closed before the check
    assert list(tmp_path.iterdir()) == []


def test_a_new_file_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    fresh = tmp_path / "fresh.json"
    write_text_atomic(fresh, "{}")
    mask = os.umask(0o022)
    os.umask(mask)
    # Not mkstemp's 0600: a recipe folder shared with another account must stay readable as before.
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask
    kept = tmp_path / "kept.json"
    kept.write_text("{}", encoding="utf-8")
    kept.chmod(0o640)
    write_text_atomic(kept, "[]")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text(encoding="utf-8") == "[]"


def test_threads_writing_the_same_target_never_leave_a_mixed_or_partial_file(tmp_path):
    target = tmp_path / "shared.json"
    # Large enough that a write takes several system calls, so interleaving would show as mixed bytes.
    texts = [json.dumps({"writer": n, "pad": str(n) * 300_000}) for n in range(4)]
    write_text_atomic(target, texts[0])
    start = threading.Barrier(len(texts) + 1)
    stop = threading.Event()
    problems: list[str] = []

    def writer(text: str) -> None:
        start.wait()
        for _ in range(15):
            write_text_atomic(target, text)

    def reader() -> None:
        start.wait()
        while not stop.is_set():
            seen = target.read_text(encoding="utf-8")
            if seen not in texts:
                problems.append(seen[:80])

    threads = [threading.Thread(target=writer, args=(text,)) for text in texts]
    watcher = threading.Thread(target=reader)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    assert problems == []
    assert target.read_text(encoding="utf-8") in texts
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]


def test_hash_cache_saved_from_two_threads_stays_readable(tmp_path, caplog):
    """The hash cache used one pid-named temporary file: two gradio threads of one process shared it, and one
    thread's rename took the other's file away (a "could not save" warning) or published a mix of both."""
    files = []
    for n in range(100):
        path = tmp_path / f"lora{n}.safetensors"
        path.write_bytes(os.urandom(64))
        files.append(path)
    start = threading.Barrier(2)

    def remember(paths: list[Path]) -> None:
        cache = HashCache(tmp_path / CACHE_NAME)
        start.wait()
        for path in paths:
            cache.remember(path, "0" * 64)

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(remember, files[n::2]) for n in range(2)]:
            done.result()  # re-raises what the thread raised
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    data = json.loads((tmp_path / CACHE_NAME).read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["files"]  # a complete JSON file, whoever wrote last
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".safetensors")) == [CACHE_NAME]
