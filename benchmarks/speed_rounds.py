"""Parts fastpath, speedup and overhead of benchmarks/webui_speed.py: one WebUI per checkpoint family, a warm-up
that downloads every LoRA, then interleaved rounds of jobs, summarised per image size."""

from __future__ import annotations

import argparse
import time
from typing import Any

import requests

from benchmarks import harness
from benchmarks.speed_client import NEED_MB, RESET, Client, accelerate, baseline, host_fields, wait_for_memory
from tests.e2e.stack import FIXTURE_PREFIX


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
    """The accelerated job's own settings and tag, without Accelerator: what a user would type (the sampler and
    schedule of the variant in the host's own words, `fields`, found at warm-up)."""
    found = accelerated["info"]
    payload = {"prompt": found["all_prompts"][0], "steps": found["steps"], "cfg_scale": found["cfg_scale"]}
    payload.update(accelerated["fields"])
    overrides = {**payload.get("override_settings", {}), **extra.pop("override_settings", {})}
    payload.update(extra)
    if overrides:
        payload["override_settings"] = overrides
    return client.generate(**payload)


def warm_up(client: Client, variants: list[dict[str, Any]], size: int) -> dict[str, dict[str, Any]]:
    """Download every LoRA, let the WebUI back up its weights, compile nothing twice; keep each variant's
    applied settings for the hand-typed twins."""
    client.generate(**RESET)
    client.generate(width=size, height=size, **{**baseline(client), "steps": 2})
    applied = {}
    for variant in variants:
        # One step is enough to download, hash and apply the LoRA; the hand-typed twins set their own steps,
        # and a full warm-up costs SDXL on A1111 (functional LoRA, ~20 s a step) about ten minutes.
        result = client.generate(width=size, height=size, alwayson_scripts=accelerate(variant=variant["id"], steps=1))
        result["fields"] = host_fields(client, variant)
        applied[variant["id"]] = result
    return applied


def skip_override(host: str) -> dict[str, Any]:
    """Forge's backends and SD.Next skip the unconditional pass at CFG 1 by themselves; on A1111 the job without
    it (the bound, and the fit of the ideal) needs skip_early_cond=1."""
    return {} if harness.skips_uncond_at_cfg1(host) else {"override_settings": {"skip_early_cond": 1.0}}


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
        out["base"] = client.generate(**sized, **baseline(client))
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
        if not harness.skips_uncond_at_cfg1(host):
            out["a:noskip"] = hand_typed(client, applied[first["id"]], steps=probe_steps, **sized)
    return out


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
        if "fastpath" in parts and harness.skips_uncond_at_cfg1(host):
            # Both of its jobs would be the same computation: the host drops the unconditional pass by itself.
            print(f"[{host}] fastpath: not measured, {host} skips the unconditional pass at CFG 1 itself", flush=True)
            parts.discard("fastpath")
            results.setdefault(key, {})["fastpath_skipped"] = f"{host} skips the unconditional pass at CFG 1 itself"
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
        if not harness.skips_uncond_at_cfg1(host):
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
        hooks: dict[str, float] = record.get("hooks") or {}
        return sum(hooks.values()) * 1000

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
