"""How much the safety of `ensure_file` costs, measured in one run on this machine.

1. Throughput of `ensure_file` (hash while downloading, .part file, lock, rename) against a plain
   `hf_hub_download` of the same file from the same local fake hub, interleaved A B A B so both see the
   same machine load; the ratio is median(plain time) / median(ensure_file time), so > 1 means faster.
   Two links: unthrottled localhost (the fake hub in its own process, so it does not compete with the
   client for the GIL), where sha256 (~0.8 GB/s per core here) is the bottleneck that plain downloads do
   not pay; and a throttled 100 MiB/s link (~1 Gbit/s), where hashing on its worker thread is hidden.
2. The cost of `find_present` for an already-present 1 GiB file the second time (the first call hashes
   and fills the hash cache). The file is sparse (all zeros, created with truncate) so the benchmark
   does not need 1 GiB of disk; its content does not matter to the second call, which only stats it.

Run: python benchmarks/download.py [--size-mb 128] [--rounds 5] [--rate 100]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPO, REVISION, NAME = "bench/lora", "0" * 40, "bench_lora.safetensors"


def start_hub(serve: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = work / "port"
    command = [sys.executable, "-m", "tests.fakehub", "--serve", str(serve), "--port-file", str(port_file)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("the fake hub did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port_file.read_text().strip()}"


def serve_file(work: Path, size_mb: int) -> Any:
    from lib_accelerator.presets.lora_file import LoraFile

    data = os.urandom(size_mb * 1024 * 1024)
    source = work / "served" / REPO / REVISION / NAME
    source.parent.mkdir(parents=True)
    source.write_bytes(data)
    return LoraFile(REPO, NAME, REVISION, hashlib.sha256(data).hexdigest(), len(data), NAME)


def interleaved(pinned: Any, endpoint: str, work: Path, rounds: int) -> tuple[list[float], list[float]]:
    """A B A B: plain hf_hub_download, then ensure_file, each into a fresh folder."""
    from huggingface_hub import hf_hub_download

    from lib_accelerator.download.ensure import DownloadOptions, ensure_file

    plain: list[float] = []
    ours: list[float] = []
    for index in range(rounds):
        out = work / f"plain{index}"
        started = time.perf_counter()
        hf_hub_download(REPO, NAME, revision=REVISION, endpoint=endpoint, cache_dir=out)
        plain.append(time.perf_counter() - started)
        shutil.rmtree(out)
        out = work / f"ours{index}"
        started = time.perf_counter()
        ensure_file(pinned, DownloadOptions(lora_dir=out, endpoint=endpoint))
        ours.append(time.perf_counter() - started)
        shutil.rmtree(out)
    return plain, ours


def throughput(work: Path, pinned: Any, rounds: int) -> tuple[list[float], list[float]]:
    """Unthrottled localhost: the fake hub in its own process, as fast as the machine goes."""
    server, endpoint = start_hub(work / "served", work)
    try:
        return interleaved(pinned, endpoint, work, rounds)
    finally:
        server.terminate()
        server.wait(timeout=10)


def throttled(work: Path, pinned: Any, rounds: int, rate_mib: int) -> tuple[list[float], list[float]]:
    """A fast real link (rate_mib MiB/s, ~1 Gbit/s at 100): the fake hub in-process with a throttle fault."""
    from tests.fakehub import FakeHub, Fault

    with FakeHub(work / "served") as hub:
        hub.set_fault(REPO, NAME, Fault("throttle", rate=rate_mib * 1024 * 1024, on="cdn", times=None))
        return interleaved(pinned, hub.endpoint, work, rounds)


def present_check(work: Path, calls: int) -> tuple[float, float]:
    from lib_accelerator.download.ensure import DownloadOptions, find_present
    from lib_accelerator.presets.lora_file import LoraFile

    size = 1024**3
    options = DownloadOptions(lora_dir=work / "lora")
    zeros = hashlib.sha256()
    block = bytes(16 * 1024 * 1024)
    for _ in range(size // len(block)):
        zeros.update(block)
    pinned = LoraFile(REPO, NAME, REVISION, zeros.hexdigest(), size, "present_1gib.safetensors")
    target = options.lora_dir / options.subfolder / pinned.save_as
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:
        handle.truncate(size)
    started = time.perf_counter()
    assert find_present(pinned, options) == target
    first = time.perf_counter() - started
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        assert find_present(pinned, options) == target
        timings.append(time.perf_counter() - started)
    return first, statistics.median(timings)


def ratio_rows(link: str, mib: int, plain: list[float], ours: list[float]) -> list[tuple[str, str]]:
    plain_s, ours_s = statistics.median(plain), statistics.median(ours)
    return [
        (f"{link}: hf_hub_download", f"{plain_s:.3f} s  {mib / plain_s:7.1f} MiB/s (median)"),
        (f"{link}: ensure_file", f"{ours_s:.3f} s  {mib / ours_s:7.1f} MiB/s (median)"),
        (f"{link}: ratio ensure/plain", f"{plain_s / ours_s:.2f}  (target >= 0.95)"),
        (f"{link}: per-round ratios", " ".join(f"{a / b:.2f}" for a, b in zip(plain, ours, strict=True))),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=128, help="size of the downloaded file in MiB")
    parser.add_argument("--rounds", type=int, default=5, help="A/B pairs; medians are reported")
    parser.add_argument("--rate", type=int, default=100, help="MiB/s of the throttled link")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accelerator-bench-") as temp:
        work = Path(temp)
        # Before the first import of huggingface_hub: it reads these once.
        os.environ["HF_HOME"] = str(work / "hf_home")
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        os.environ.pop("HF_TOKEN", None)
        sys.path.insert(0, str(ROOT))
        pinned = serve_file(work, args.size_mb)
        rows = [("file", f"{args.size_mb} MiB random bytes, {args.rounds} interleaved A/B rounds per link")]
        rows += ratio_rows("localhost, unthrottled", args.size_mb, *throughput(work, pinned, args.rounds))
        rows += ratio_rows(
            f"throttled {args.rate} MiB/s", args.size_mb, *throttled(work, pinned, args.rounds, args.rate)
        )
        first, second = present_check(work, calls=20)
    rows += [
        ("find_present 1 GiB, first call", f"{first * 1000:.0f} ms (hashes; sparse file)"),
        ("find_present 1 GiB, second call", f"{second * 1000:.2f} ms median of 20  (target <= 5 ms)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
