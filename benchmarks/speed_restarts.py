"""Parts startup and memory of benchmarks/webui_speed.py: each measurement is a fresh WebUI start, alternated
with and without the extension (startup) or between the accordion and the same LoRA typed by hand (memory)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import requests

from benchmarks import harness
from benchmarks.speed_client import NEED_MB, Client, accelerate, host_fields, wait_for_memory
from benchmarks.speed_rounds import cfg1_variants, config_for, hand_typed
from tests.e2e import stack

# SD.Next has no /internal/profile-startup and no "load scripts" / "create ui" timers: its "Startup time" line
# (webui.py l. 424-428, 058a7f0c) says "total=12.34 extensions=1.23 ui=2.34 ...", and the time each extension's
# scripts took to load is its debug line "Extensions init time: total=... sd-webui-accelerator=0.12 ..."
# (`modules/scripts_manager.py` load_scripts: one timer record per extension folder; SD.Next logs at debug by
# default). Its "extensions" and the sum of its "ui-*" timers stand in the report's "load scripts" and
# "create ui" columns. Its console (rich) wraps long lines at the terminal's width: COLUMNS widens it, and
# wrapped lines are joined again (continuations start with blanks).
EXTENSION_RECORD = "load scripts/accelerator.py"  # the A1111 family's /internal/profile-startup record


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
            # SD_MIN_TIMER: SD.Next lists every extension's load time, however short (other hosts ignore it).
            env_extra={"PYTHONDONTWRITEBYTECODE": "", "SD_MIN_TIMER": "0", "COLUMNS": "1000"},
        ) as running:
            line = wait_for_line(running, "Startup time:", 600)
            if host == "sdnext":
                records = sdnext_extension_times(running, with_extension)
            else:
                profile = requests.get(running.url + "/internal/profile-startup", timeout=60).json() or {}
                records = profile.get("records", {})
            record = {
                "with": with_extension,
                "line": line,
                "summary": parse_startup(line),
                "records": records,
                "hub_requests": running.hub.requests(),
                "network": running.network_log.read_text().splitlines() if running.network_log.exists() else [],
            }
            harness.wait_for_model(running)  # do not stop it while it still loads
        if i > 0:  # the warm-up start is not counted
            runs.append(record)
        script_ms = record["records"].get(EXTENSION_RECORD)
        print(f"[{host}] start {i + 1}/{len(order)} {tag}: {line.strip()[:160]} | accelerator.py {script_ms}")
    results.setdefault(host, {})["startup"] = runs


def wait_for_line(running: harness.Running, marker: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_lines(running):
            if marker in line:
                return line
        time.sleep(0.5)
    raise RuntimeError(f"no {marker!r} in {running.log}")


def log_lines(running: harness.Running) -> list[str]:
    lines = running.log.read_text(errors="replace").splitlines()
    if running.host != "sdnext":
        return lines
    joined: list[str] = []
    for line in lines:
        if joined and line[:1].isspace():
            joined[-1] = f"{joined[-1].rstrip()} {line.strip()}"
        else:
            joined.append(line)
    return joined


def sdnext_extension_times(running: harness.Running, with_extension: bool) -> dict[str, float]:
    """SD.Next: the extension folder's script load time from its "Extensions init time" line, as the record the
    A1111 family's profile names (entries under SD_MIN_TIMER seconds are left out of that line: 0 is set)."""
    if not with_extension:
        return {}
    line = wait_for_line(running, "Extensions init time:", 60)
    values = dict(part.split("=", 1) for part in line.split("Extensions init time:", 1)[1].split() if "=" in part)
    value = values.get(stack.EXTENSION_NAME)
    return {} if value is None else {EXTENSION_RECORD: float(value)}


def parse_startup(line: str) -> dict[str, float]:
    """'Startup time: 27.6s (import torch: 12.0s, ..., load scripts: 2.3s, ...).' -> seconds by category;
    SD.Next's 'Startup time: total=12.34 torch=3.21 extensions=1.23 ui=2.34 ...' too (SDNEXT_COLUMNS)."""
    text = line.split("Startup time:", 1)[1].strip().rstrip(".")
    if text.startswith("total="):
        raw = {k: float(v) for k, v in (part.split("=", 1) for part in text.split() if "=" in part)}
        ui = sum(value for key, value in raw.items() if key.startswith("ui-"))
        return {**raw, "load scripts": raw.get("extensions", 0.0), "create ui": ui}
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
                result["fields"] = host_fields(client, variant)
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
