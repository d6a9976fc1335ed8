"""Talking to one running WebUI for benchmarks/webui_speed.py: the jobs' common settings, the API client that
times a generation and reads the timing probe's record, the memory wait before a start, and the median/spread
used by every table."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import time
from typing import Any

import requests

from benchmarks import harness

PROMPT = "a photo of a red cube on a wooden table, studio light"
SEED = 1234
# The baseline: 30 steps at CFG 7 with DPM++ 2M and the Karras schedule, asked of each host in its own words
# (baseline(): a schedule type on A1111/Forge/reForge, an option on Forge Classic, a sigma field on SD.Next).
BASELINE = {"sampler": "dpmpp_2m", "schedule": "karras"}
BASE_STEPS = {"steps": 30, "cfg_scale": 7}
RESET = {"width": 64, "height": 64, "steps": 1, "cfg_scale": 1, "sampler_name": "Euler", "prompt": "reset"}
# Free memory needed before a start (README figures for A1111 and Forge; the other hosts as Forge, SD 1.5 in fp32).
NEED_MB = {"a1111": 10_000, "forge": 8_500, "reforge": 8_500, "forge_classic": 8_500, "sdnext": 8_500, "sdxl": 16_500}

available_mb = harness.available_mb


def other_webuis() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,rss,args"], capture_output=True, text=True).stdout
    return [line.strip()[:160] for line in out.splitlines() if "launch.py" in line and "grep" not in line]


def wait_for_memory(need_mb: int, patience: float) -> None:
    deadline = time.monotonic() + patience
    while available_mb() < need_mb:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {available_mb()} MB free, {need_mb} MB needed; WebUIs running: {other_webuis()}")
        print(f"  waiting for memory: {available_mb()} MB free, {need_mb} MB needed", flush=True)
        time.sleep(20)


def host_fields(client: Client, wanted: dict[str, Any]) -> dict[str, Any]:
    """The request fields that ask this host for a preset's sampler and schedule (neutral names, as in
    presets/*.json), by hand: tests/e2e/host_names.py, written from each host's code, says them."""
    from tests.e2e import host_names

    host_names.HOST = client.running.host  # read from WEBUI_HOST at its import; one run here visits several hosts
    return dict(host_names.expected(wanted, client).fields)


def baseline(client: Client) -> dict[str, Any]:
    return {**BASE_STEPS, **host_fields(client, BASELINE)}


class Client:
    def __init__(self, running: harness.Running) -> None:
        self.running = running
        self.session = requests.Session()
        self.session.trust_env = False
        self.seen = 0

    def get(self, path: str) -> Any:
        response = self.session.get(self.running.url + path, timeout=60)
        response.raise_for_status()
        return response.json()

    def options(self, **values: Any) -> None:
        self.session.post(self.running.url + "/sdapi/v1/options", json=values, timeout=60).raise_for_status()

    def generate(self, **payload: Any) -> dict[str, Any]:
        """One txt2img; returns wall seconds, the infotext's parameters and the probe's record."""
        body: dict[str, Any] = {"prompt": PROMPT, "seed": SEED, "width": 64, "height": 64, "send_images": False}
        body.update(save_images=False, **payload)
        start = time.perf_counter()
        response = self.session.post(self.running.url + "/sdapi/v1/txt2img", json=body, timeout=3600)
        wall = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"txt2img answered {response.status_code}: {response.text[:500]}")
        info = json.loads(response.json()["info"])
        records = harness.read_timings(self.running)
        new, self.seen = records[self.seen :], len(records)
        probe = new[-1] if new else {}
        if info.get("extra_generation_params", {}).get("Accelerator error"):
            raise RuntimeError(info["extra_generation_params"]["Accelerator error"])
        return {"wall": wall, "info": info, "probe": probe, "step": step_time(probe)}


def step_time(probe: dict[str, Any]) -> float | None:
    """Median interval between successive model calls: one sampling step, without fixed costs."""
    stamps: list[float] = probe.get("steps") or []
    if len(stamps) < 3:
        return None
    return statistics.median(b - a for a, b in itertools.pairwise(stamps))


def accelerate(**values: Any) -> dict[str, Any]:
    return {"accelerator": {"args": [{"enabled": True, **values}]}}


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "n/a"
    middle = fmt.format(med(values))
    return middle if len(values) < 2 else f"{middle} [{fmt.format(min(values))}-{fmt.format(max(values))}]"
