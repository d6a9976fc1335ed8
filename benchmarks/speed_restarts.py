"""Parts startup and memory of benchmarks/webui_speed.py: each measurement is a fresh WebUI start, alternated
with and without the extension (startup) or between the accordion and the same LoRA typed by hand (memory)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks import harness
from benchmarks.speed_client import NEED_MB, Client, accelerate, wait_for_memory
from benchmarks.speed_rounds import cfg1_variants, config_for, hand_typed, schedule_of


def startup_run(args: argparse.Namespace, setup: harness.Setup, results: dict[str, Any]) -> None:
    host = setup.host
    runs: list[dict[str, Any]] = []
    # The first start compiles the extension's modules to bytecode, as the first start after an install
    # does for a user; the e2e stack forbids writing bytecode, which would charge that compile to every start.
    order = [True] + [True, False] * args.startups
    for i, with_extension in enumerate(order):
        wait_for_memory(NEED_MB[host] - 3000, args.patience)
        tag = f"startup{i}-{'with' if with_extension else 'without'}"
        with harness.webui(
            setup,
            extension=with_extension,
            probe=False,
            network_hook=True,
            tag=tag,
            wait_model=False,
            env_extra={"PYTHONDONTWRITEBYTECODE": ""},
        ) as running:
            line = wait_for_line(running, "Startup time:", 600)
            profile = requests.get(running.url + "/internal/profile-startup", timeout=60).json() or {}
            record = {
                "with": with_extension,
                "line": line,
                "summary": parse_startup(line),
                "records": profile.get("records", {}),
                "hub_requests": running.hub.requests(),
                "network": running.network_log.read_text().splitlines() if running.network_log.exists() else [],
            }
            if host == "a1111":
                wait_for_line(running, "Model loaded in", 600)  # do not stop it while it still loads
        if i > 0:  # the warm-up start is not counted
            runs.append(record)
        script_ms = record["records"].get("load scripts/accelerator.py")
        print(f"[{host}] start {i + 1}/{len(order)} {tag}: {line.strip()[:160]} | accelerator.py {script_ms}")
    results.setdefault(host, {})["startup"] = runs


def wait_for_line(running: harness.Running, marker: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in running.log.read_text(errors="replace").splitlines():
            if marker in line:
                return line
        time.sleep(0.5)
    raise RuntimeError(f"no {marker!r} in {running.log}")


def parse_startup(line: str) -> dict[str, float]:
    """'Startup time: 27.6s (import torch: 12.0s, ..., load scripts: 2.3s, ...).' -> seconds by category."""
    text = line.split("Startup time:", 1)[1].strip().rstrip(".")
    total, _, rest = text.partition(" (")
    values = {"total": float(total.rstrip("s"))}
    for part in rest.rstrip(")").split(", "):
        name, _, value = part.rpartition(": ")
        if name:
            values[name] = float(value.rstrip("s"))
    return values


def memory_run(args: argparse.Namespace, setup: harness.Setup, results: dict[str, Any]) -> None:
    host = setup.host
    variant = cfg1_variants(setup.manifest, "sd15")[0]
    runs = []
    applied: dict[str, Any] | None = None
    size = args.memory_size
    for i, mode in enumerate(["accordion", "by hand"] * args.memory_rounds):
        wait_for_memory(NEED_MB[host] - (3500 if args.lora_functional else 0), args.patience)
        with harness.webui(setup, probe=False, tag=f"memory{i}", config=config_for(args)) as running:
            client = Client(running)
            if mode == "accordion":
                result = client.generate(width=size, height=size, alwayson_scripts=accelerate(variant=variant["id"]))
                result["scheduler"] = schedule_of(result)
                applied = result
            else:
                assert applied is not None
                result = hand_typed(client, applied, width=size, height=size)
            status = read_status(running.pid)
        runs.append({"mode": mode, **status})
        print(f"[{host}] memory {i + 1}: {mode}: VmHWM {status['VmHWM'] / 1024:.0f} MB", flush=True)
    results.setdefault(host, {})["memory"] = {"size": size, "variant": variant["id"], "runs": runs}


def read_status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])  # kB
    return values
