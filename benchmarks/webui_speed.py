"""How fast Accelerator makes the real WebUI, and what it costs: measured side by side in one run.

Starts one WebUI at a time (A1111 on port 7885, then Forge on 7886) from the harness in
/work/shared/webui-harness, with Accelerator, the e2e fixture's small LoRAs (user presets "e2e_*": the built-in
methods' real settings) served by a local fake hub, and a benchmark-only timing probe (benchmarks/timing_probe).
Every comparison is a ratio of jobs run interleaved (A B A B ...) in the same WebUI process; the table shows
the median over rounds and, in brackets, the spread (min-max) of the per-round values.

  fastpath  per-step time at CFG 1: Accelerator (A1111 fast path) vs. the same job typed by hand with the WebUI's
            own skip_early_cond=1 (the bound) and without any skip; Forge at CFG 1 beside it (another process,
            so that ratio is across runs). Step times are the intervals between the sampler's model calls.
  speedup   30 steps CFG 7 (no LoRA) vs. each default accelerated variant, same prompt and seed, wall clock of
            the API call; the ideal is fixed + steps x per_step fitted from the same LoRA typed by hand at CFG 1
            without the unconditional pass at two step counts (every LoRA job follows a job without LoRA, so
            each pays the WebUI's LoRA patching alike).
  overhead  time inside Accelerator's hooks (before_process + process + postprocess_batch) on each real job.
  startup   WebUI starts with and without the extension, alternated: the WebUI's own per-script load time for
            accelerator.py (/internal/profile-startup), "load scripts", "create ui", total; connections opened or
            names resolved from the extension's code while it loads (audit hook) and requests the hub saw.
  memory    peak RSS (VmHWM) of a fresh WebUI after one generation with the accordion vs. the same LoRA and
            settings typed by hand, alternated over restarts.

Run from the repository root with a Python that has `requests` and `numpy` (e.g. /work/venv/bin/python):
    python benchmarks/webui_speed.py                    # everything, both hosts (about 35 min on 2 cores)
    python benchmarks/webui_speed.py --hosts a1111 --parts fastpath --sizes 64 --rounds 2   # a quick look
Results: a Markdown table on stdout and a JSON file (--json).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from benchmarks import harness  # noqa: E402
from tests.e2e.stack import FIXTURE_PREFIX  # noqa: E402

PARTS = ("fastpath", "speedup", "overhead", "startup", "memory")
PROMPT = "a photo of a red cube on a wooden table, studio light"
SEED = 1234
BASE = {"steps": 30, "cfg_scale": 7, "sampler_name": "DPM++ 2M", "scheduler": "Karras"}
RESET = {"width": 64, "height": 64, "steps": 1, "cfg_scale": 1, "sampler_name": "Euler", "prompt": "reset"}
NEED_MB = {"a1111": 10_000, "forge": 8_500, "sdxl": 16_500}  # free memory needed before a start (README figures)


# ----------------------------------------------------------------------------------------------- plumbing
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
        body = {"prompt": PROMPT, "seed": SEED, "width": 64, "height": 64, "send_images": False}
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
    stamps = probe.get("steps") or []
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


# ----------------------------------------------------------------------------------------------- jobs
def cfg1_variants(manifest: dict[str, Any], family: str, wanted: list[str] | None = None) -> list[dict[str, Any]]:
    """The family's CFG-1 variants; `wanted` (built-in ids, with or without FIXTURE_PREFIX) keeps some."""
    every = {v["id"].removeprefix(FIXTURE_PREFIX): v for v in manifest["variants"] if v["cfg"] == 1.0}
    if not wanted:
        return [v for v in every.values() if v["family"] == family]
    names = list(dict.fromkeys(name.removeprefix(FIXTURE_PREFIX) for name in wanted))
    unknown = [name for name in names if name not in every]
    if unknown:
        raise SystemExit(f"--variants: no CFG-1 variant {', '.join(unknown)}; choose from {', '.join(every)}")
    return [every[name] for name in names if every[name]["family"] == family]


def lora_tag(variant: dict[str, Any]) -> str:
    return f"<lora:{variant['file']['save_as'].removesuffix('.safetensors')}:{variant['strength']:g}>"


def hand_typed(client: Client, accelerated: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The accelerated job's own settings and tag, without Accelerator: what a user would type."""
    found = accelerated["info"]
    payload = {
        "prompt": found["all_prompts"][0],
        "steps": found["steps"],
        "cfg_scale": found["cfg_scale"],
        "sampler_name": found["sampler_name"],
        "scheduler": accelerated["scheduler"],
        **extra,
    }
    return client.generate(**payload)


def schedule_of(result: dict[str, Any]) -> str:
    text = result["info"]["infotexts"][0]
    for part in text.splitlines()[-1].split(", "):
        if part.startswith("Schedule type: "):
            return part.removeprefix("Schedule type: ")
    return "Automatic"


def warm_up(client: Client, variants: list[dict[str, Any]], size: int) -> dict[str, dict[str, Any]]:
    """Download every LoRA, let the WebUI back up its weights, compile nothing twice; keep each variant's
    applied settings for the hand-typed twins."""
    client.generate(**RESET)
    client.generate(width=size, height=size, **{**BASE, "steps": 2})
    applied = {}
    for variant in variants:
        # One step is enough to download, hash and apply the LoRA; the hand-typed twins set their own steps,
        # and a full warm-up costs SDXL on A1111 (functional LoRA, ~20 s a step) about ten minutes.
        result = client.generate(width=size, height=size, alwayson_scripts=accelerate(variant=variant["id"], steps=1))
        result["scheduler"] = schedule_of(result)
        applied[variant["id"]] = result
    return applied


def skip_override(host: str) -> dict[str, Any]:
    """Forge skips the unconditional pass at CFG 1 by itself; on A1111 the bound needs skip_early_cond=1."""
    return {} if host == "forge" else {"override_settings": {"skip_early_cond": 1.0}}


def run_round(
    client: Client,
    host: str,
    size: int,
    variants: list[dict[str, Any]],
    applied: dict[str, dict[str, Any]],
    fit_steps: tuple[int, int],
    probe_steps: int,
    parts: set[str],
    round_index: int = 0,
) -> dict[str, Any]:
    """One round; every job that uses a LoRA follows one that uses none, so all pay the same patching."""
    sized = {"width": size, "height": size}
    first = variants[0]
    out: dict[str, Any] = {}
    if "speedup" in parts:
        out["base"] = client.generate(**sized, **BASE)
        for variant in variants:
            out[f"acc:{variant['id']}"] = client.generate(**sized, alwayson_scripts=accelerate(variant=variant["id"]))
            client.generate(**RESET)
        for steps in fit_steps:
            out[f"fit:{steps}"] = hand_typed(client, applied[first["id"]], steps=steps, **sized, **skip_override(host))
            client.generate(**RESET)
    if "fastpath" in parts:
        jobs = {
            "a:acc": lambda: client.generate(
                **sized, alwayson_scripts=accelerate(variant=first["id"], steps=probe_steps)
            ),
            "a:bound": lambda: hand_typed(
                client, applied[first["id"]], steps=probe_steps, **sized, **skip_override(host)
            ),
        }
        # Odd rounds run the bound first, so neither side always pays for following a job of another size.
        order = ("a:bound", "a:acc") if round_index % 2 else ("a:acc", "a:bound")
        for key in order:
            out[key] = jobs[key]()
        if host != "forge":
            out["a:noskip"] = hand_typed(client, applied[first["id"]], steps=probe_steps, **sized)
    return out


# ----------------------------------------------------------------------------------------------- phases
def config_for(args: argparse.Namespace) -> dict[str, Any]:
    """The private config.json: the fast path is what part a measures, and it is off by default."""
    config: dict[str, Any] = {"accelerator_cfg1_fast_path": not args.no_fast_path}
    if args.lora_functional:
        config["lora_functional"] = True
    return config


def main_run(args: argparse.Namespace, setup: harness.Setup, results: dict[str, Any]) -> None:
    for family in args.families:
        family_run(args, setup, results, family)


def family_run(args: argparse.Namespace, setup: harness.Setup, results: dict[str, Any], family: str) -> None:
    """Parts a-c for one checkpoint; SDXL results are listed as host "a1111 sdxl" / "forge sdxl"."""
    host = setup.host
    need = NEED_MB["sdxl"] if family == "sdxl" else NEED_MB[host] - (3500 if args.lora_functional else 0)
    wait_for_memory(need, args.patience)
    variants = cfg1_variants(setup.manifest, family, args.variants)
    if not variants:
        print(f"[{host}] {family}: none of --variants is a {family} variant; skipped", flush=True)
        return
    key = host if family == "sd15" else f"{host} {family}"
    config = config_for(args)
    if family == "sdxl":  # A1111's weight backup would add ~10 GB to SDXL's 15: more than this machine has
        config["lora_functional"] = True
    with harness.webui(setup, tag=f"main-{family}", config=config, checkpoint=family) as running:
        client = Client(running)
        print(f"[{host}] up in {running.ready - running.started:.0f} s; log {running.log}", flush=True)
        parts = set(args.parts)
        per_size: dict[str, Any] = {}
        steady = None  # records from here on: every LoRA downloaded, the WebUI warm
        for size in args.sizes:
            fit_steps, probe_steps = (2, 8), args.probe_steps  # 8 = Hyper-SD's steps
            applied = warm_up(client, variants, size)
            steady = client.seen if steady is None else steady
            rounds = []
            n_rounds = args.rounds if size <= 64 else args.rounds_large
            for r in range(n_rounds):
                t0 = time.monotonic()
                try:
                    rounds.append(run_round(client, host, size, variants, applied, fit_steps, probe_steps, parts, r))
                except (RuntimeError, requests.ConnectionError) as error:  # e.g. the memory guard stopped it
                    print(f"[{host}] {size}px round {r + 1} lost ({error}); keeping {len(rounds)} round(s)")
                    break
                print(f"[{host}] {size}px round {r + 1}/{n_rounds}: {time.monotonic() - t0:.0f} s", flush=True)
            if rounds:
                per_size[str(size)] = summarise_size(rounds, variants, fit_steps, host)
            if len(rounds) < n_rounds:
                break
        records = harness.read_timings(running)
    results.setdefault(key, {})["sizes"] = per_size
    results[key]["overhead"] = summarise_overhead(records[steady or 0 :])


def summarise_size(
    rounds: list[dict[str, Any]], variants: list[dict[str, Any]], fit_steps: tuple[int, int], host: str
) -> dict[str, Any]:
    def series(key: str, field: str = "wall") -> list[float]:
        return [r[key][field] for r in rounds if key in r and r[key].get(field) is not None]

    out: dict[str, Any] = {"rounds": len(rounds)}
    if "a:acc" in rounds[0]:
        acc, bound = series("a:acc", "step"), series("a:bound", "step")
        out["fastpath"] = {
            "step_acc": acc,
            "step_bound": bound,
            "acc_over_bound": [a / b for a, b in zip(acc, bound, strict=False)],
            "skip_during_acc": [r["a:acc"]["probe"].get("skip_early_cond") for r in rounds],
        }
        if host != "forge":
            noskip = series("a:noskip", "step")
            out["fastpath"]["step_noskip"] = noskip
            out["fastpath"]["noskip_over_acc"] = [n / a for n, a in zip(noskip, acc, strict=False)]
    if "base" in rounds[0]:
        n1, n2 = fit_steps
        base = series("base")
        speed: dict[str, Any] = {"base": base, "fit_steps": list(fit_steps), "variants": {}}
        fits = []
        for r in rounds:
            t1, t2 = r[f"fit:{n1}"]["wall"], r[f"fit:{n2}"]["wall"]
            per_step = (t2 - t1) / (n2 - n1)
            fits.append((t1 - n1 * per_step, per_step))
        speed["fixed"], speed["per_step"] = [f for f, _ in fits], [p for _, p in fits]
        speed["base_step"] = series("base", "step")
        for variant in variants:
            acc = series(f"acc:{variant['id']}")
            measured = [b / a for b, a in zip(base, acc, strict=False)]
            ideal = [b / (fixed + variant["steps"] * p) for b, (fixed, p) in zip(base, fits, strict=False)]
            speed["variants"][variant["id"]] = {
                "steps": variant["steps"],
                "acc": acc,
                "speedup": measured,
                "ideal": ideal,
                "of_ideal": [m / i for m, i in zip(measured, ideal, strict=False)],
                "acc_step": series(f"acc:{variant['id']}", "step"),
            }
        out["speedup"] = speed
    return out


def summarise_overhead(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Milliseconds inside Accelerator's hooks per job, accordion on (after the warm-up) and off."""

    def total(record: dict[str, Any]) -> float:
        return sum((record.get("hooks") or {}).values()) * 1000

    on = [r for r in records if r.get("accelerated")]
    off = [r for r in records if not r.get("accelerated") and r.get("hooks")]
    return {
        "on_ms": [total(r) for r in on],
        "off_ms": [total(r) for r in off],
        "per_hook": {
            name: [r["hooks"].get(name, 0.0) * 1000 for r in on]
            for name in ("before_process", "process", "postprocess_batch")
        },
    }


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


# ----------------------------------------------------------------------------------------------- report
def report(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    fast_rows, speed_rows = [], []
    for host, data in results.items():
        if host.startswith("_"):
            continue
        for size, per in data.get("sizes", {}).items():
            fp = per.get("fastpath")
            if fp:
                fast_rows.append((host, size, fp))
            sp = per.get("speedup")
            if sp:
                speed_rows.append((host, size, sp))
    if fast_rows:
        add("### a. CFG-1 fast path: seconds per step at CFG 1 (median [min-max] over rounds)\n")
        add(
            "| host | size | Accelerator | by hand, skip_early_cond=1 (bound) | by hand, no skip | Accelerator / bound "
            "| no skip / Accelerator | skip_early_cond while sampling |"
        )
        add("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for host, size, fp in fast_rows:
            bound_label = spread(fp["step_bound"], "{:.3f}")
            add(
                f"| {host} | {size}² | {spread(fp['step_acc'], '{:.3f}')} | {bound_label} | "
                f"{spread(fp.get('step_noskip', []), '{:.3f}')} | {spread(fp['acc_over_bound'], '{:.3f}')} | "
                f"{spread(fp.get('noskip_over_acc', []), '{:.2f}')} | {sorted(set(map(str, fp['skip_during_acc'])))} |"
            )
        for suffix in ("", " sdxl"):
            a1111 = {size: fp for host, size, fp in fast_rows if host == "a1111" + suffix}
            forge = {size: fp for host, size, fp in fast_rows if host == "forge" + suffix}
            for size in sorted(set(a1111) & set(forge), key=int):
                ratio = med(forge[size]["step_acc"]) / med(a1111[size]["step_acc"])
                add(f"\nForge / A1111{suffix} per step with Accelerator at CFG 1, {size}²: {ratio:.2f} (separate runs)")
        add("")
    if speed_rows:
        add("### b. Speedup: 30 steps CFG 7 (DPM++ 2M Karras, no LoRA) vs. the accelerated variant, wall clock\n")
        add("| host | size | variant | steps | 30 steps CFG 7 (s) | accelerated (s) | speedup | ideal | % of ideal |")
        add("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for host, size, sp in speed_rows:
            for vid, v in sp["variants"].items():
                name = vid.removeprefix(FIXTURE_PREFIX)
                add(
                    f"| {host} | {size}² | {name} | {v['steps']} | {spread(sp['base'], '{:.1f}')} "
                    f"| {spread(v['acc'], '{:.2f}')} | {spread(v['speedup'], '{:.2f}')}× | "
                    f"{spread(v['ideal'], '{:.2f}')}× | {spread([x * 100 for x in v['of_ideal']], '{:.0f}')} % |"
                )
        add("")
        add("Ideal = baseline / (fixed + steps × per_step), fitted per round from the first variant's LoRA typed by")
        add("hand at CFG 1 without the unconditional pass, at two step counts:\n")
        add("| host | size | fit steps | fixed (s) | per step (s) | baseline per step (s, CFG 7) |")
        add("| --- | --- | --- | --- | --- | --- |")
        for host, size, sp in speed_rows:
            add(
                f"| {host} | {size}² | {sp['fit_steps']} | {spread(sp['fixed'])} | {spread(sp['per_step'], '{:.3f}')} "
                f"| {spread(sp['base_step'], '{:.3f}')} |"
            )
        add("")
    over = [(h, d["overhead"]) for h, d in results.items() if not h.startswith("_") and d.get("overhead")]
    if over:
        add("### c. Time inside Accelerator's hooks per generation (ms, in-process; median [min-max])\n")
        add(
            "| host | accordion on: before_process | process | postprocess_batch | all hooks (max) | jobs "
            "| accordion off: all hooks (max) | jobs |"
        )
        add("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for host, o in over:
            hooks = o["per_hook"]
            add(
                f"| {host} | {spread(hooks['before_process'])} | {spread(hooks['process'])} | "
                f"{spread(hooks['postprocess_batch'], '{:.3f}')} | "
                f"{spread(o['on_ms'])} ({max(o['on_ms'], default=0):.2f}) "
                f"| {len(o['on_ms'])} | {spread(o['off_ms'], '{:.3f}')} ({max(o['off_ms'], default=0):.3f}) "
                f"| {len(o['off_ms'])} |"
            )
        add("")
    starts = [(h, d["startup"]) for h, d in results.items() if not h.startswith("_") and d.get("startup")]
    if starts:
        add("### c. Start-up: with vs. without the extension (s; median [min-max] over starts)\n")
        add(
            "| host | accelerator.py load (ms) | load scripts with / without | create ui with / without "
            "| total with / without | extension's sockets at import | hub requests |"
        )
        add("| --- | --- | --- | --- | --- | --- | --- |")
        for host, runs in starts:
            with_, without = [r for r in runs if r["with"]], [r for r in runs if not r["with"]]

            def col(rows: list[dict[str, Any]], key: str) -> list[float]:
                return [r["summary"].get(key, 0.0) for r in rows]

            script = [r["records"].get("load scripts/accelerator.py", 0.0) * 1000 for r in with_]
            add(
                f"| {host} | {spread(script, '{:.0f}')} | {spread(col(with_, 'load scripts'), '{:.1f}')} / "
                f"{spread(col(without, 'load scripts'), '{:.1f}')} | {spread(col(with_, 'create ui'), '{:.1f}')} / "
                f"{spread(col(without, 'create ui'), '{:.1f}')} | {spread(col(with_, 'total'), '{:.1f}')} / "
                f"{spread(col(without, 'total'), '{:.1f}')} | {sum(len(r['network']) for r in with_)} | "
                f"{sum(r['hub_requests'] for r in with_)} |"
            )
        add("")
    mems = [(h, d["memory"]) for h, d in results.items() if not h.startswith("_") and d.get("memory")]
    if mems:
        add("### d. Peak resident memory (VmHWM) of a fresh WebUI after one generation (MB)\n")
        add("| host | size | accordion | same LoRA typed by hand | accordion - by hand |")
        add("| --- | --- | --- | --- | --- |")
        for host, m in mems:
            acc = [r["VmHWM"] / 1024 for r in m["runs"] if r["mode"] == "accordion"]
            hand = [r["VmHWM"] / 1024 for r in m["runs"] if r["mode"] == "by hand"]
            diffs = [a - h for a, h in zip(acc, hand, strict=False)]
            add(
                f"| {host} | {m['size']}² | {spread(acc, '{:.0f}')} | {spread(hand, '{:.0f}')} | "
                f"{spread(diffs, '{:+.0f}')} |"
            )
        add("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", nargs="+", choices=("a1111", "forge"), default=["a1111", "forge"])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 256], help="image sizes (default 64 256)")
    parser.add_argument(
        "--probe-steps", type=int, default=6, help="steps of each fast-path job; N steps give N-1 intervals (6)"
    )
    parser.add_argument(
        "--families", nargs="+", choices=("sd15", "sdxl"), default=["sd15"], help="checkpoints (default sd15)"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=None,
        help="only these variants, e.g. hyper-sdxl-8step (default: every CFG-1 default variant of the family); "
        "the first one is also the fast-path job and the fit of the ideal",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds at 64² (default 3)")
    parser.add_argument("--rounds-large", type=int, default=2, help="interleaved rounds above 64² (default 2)")
    parser.add_argument("--startups", type=int, default=3, help="starts with and without the extension (3)")
    parser.add_argument("--startup-hosts", nargs="+", default=["a1111"], help="hosts for 'startup' (a1111)")
    parser.add_argument("--memory-hosts", nargs="+", default=["a1111"], help="hosts for 'memory' (a1111)")
    parser.add_argument("--memory-rounds", type=int, default=2, help="restarts per mode for 'memory' (2)")
    parser.add_argument("--memory-size", type=int, default=256)
    parser.add_argument("--patience", type=float, default=1800, help="seconds to wait for free memory")
    parser.add_argument(
        "--lora-functional",
        action="store_true",
        help="A1111 option lora_functional=true: no +3.4 GB weight backup, LoRA applied in forward (short memory)",
    )
    parser.add_argument("--no-fast-path", action="store_true", help="leave accelerator_cfg1_fast_path off")
    parser.add_argument("--json", type=Path, default=None, help="write all measurements here")
    parser.add_argument("--report", type=Path, default=None, help="re-print the tables of a --json file")
    args = parser.parse_args()
    if args.report:
        print(report(json.loads(args.report.read_text())))
        return 0
    started = time.monotonic()
    arguments = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    results: dict[str, Any] = {"_meta": {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": arguments}}
    for host in args.hosts:
        setup = harness.prepare(host, families=tuple(dict.fromkeys(("sd15", *args.families))))
        print(f"[{host}] work folder {setup.work}", flush=True)
        phases = []
        if {"fastpath", "speedup", "overhead"} & set(args.parts):
            phases.append(main_run)
        if "startup" in args.parts and host in args.startup_hosts:
            phases.append(startup_run)
        if "memory" in args.parts and host in args.memory_hosts:
            phases.append(memory_run)
        for phase in phases:
            phase(args, setup, results)
            if args.json:  # after every phase, so a stopped run keeps what it measured
                args.json.write_text(json.dumps(results, indent=1, default=str))
            print(report(results), flush=True)
    results["_meta"]["minutes"] = (time.monotonic() - started) / 60
    results["_meta"]["load"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    print(report(results))
    print(f"\n{results['_meta']['minutes']:.1f} min; load average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
