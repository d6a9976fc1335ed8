"""The Markdown tables of benchmarks/webui_speed.py, one function per part; `report` puts together those
that have results (after every phase of a run, and for `--report FILE`)."""

from __future__ import annotations

from typing import Any

from benchmarks.speed_client import med, spread
from tests.e2e.stack import FIXTURE_PREFIX


def report(results: dict[str, Any]) -> str:
    """The Markdown tables of every part that has results, in the order of webui_speed.py's docstring."""
    hosts = {host: data for host, data in results.items() if not host.startswith("_")}
    fast_rows: list[tuple[str, str, dict[str, Any]]] = []
    speed_rows: list[tuple[str, str, dict[str, Any]]] = []
    for host, data in hosts.items():
        for size, per in data.get("sizes", {}).items():
            fp = per.get("fastpath")
            if fp:
                fast_rows.append((host, size, fp))
            sp = per.get("speedup")
            if sp:
                speed_rows.append((host, size, sp))
    over = [(h, d["overhead"]) for h, d in hosts.items() if d.get("overhead")]
    starts = [(h, d["startup"]) for h, d in hosts.items() if d.get("startup")]
    mems = [(h, d["memory"]) for h, d in hosts.items() if d.get("memory")]
    lines: list[str] = []
    if fast_rows:
        lines += fastpath_section(fast_rows)
    skipped = [(h, d["fastpath_skipped"]) for h, d in hosts.items() if d.get("fastpath_skipped")]
    if skipped:
        lines += [f"Fast path not measured on {h}: {why}." for h, why in skipped] + [""]
    if speed_rows:
        lines += speedup_section(speed_rows)
    if over:
        lines += overhead_section(over)
    if starts:
        lines += startup_section(starts)
    if mems:
        lines += memory_section(mems)
    return "\n".join(lines)


def fastpath_section(rows: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Part a: seconds per step at CFG 1, and Forge / A1111 where both ran."""
    lines: list[str] = []
    add = lines.append
    add("### a. CFG-1 fast path: seconds per step at CFG 1 (median [min-max] over rounds)\n")
    add(
        "| host | size | Accelerator | by hand, skip_early_cond=1 (bound) | by hand, no skip | Accelerator / bound "
        "| no skip / Accelerator | skip_early_cond while sampling |"
    )
    add("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for host, size, fp in rows:
        bound_label = spread(fp["step_bound"], "{:.3f}")
        add(
            f"| {host} | {size}² | {spread(fp['step_acc'], '{:.3f}')} | {bound_label} | "
            f"{spread(fp.get('step_noskip', []), '{:.3f}')} | {spread(fp['acc_over_bound'], '{:.3f}')} | "
            f"{spread(fp.get('noskip_over_acc', []), '{:.2f}')} | {sorted(set(map(str, fp['skip_during_acc'])))} |"
        )
    for suffix in ("", " sdxl"):
        a1111 = {size: fp for host, size, fp in rows if host == "a1111" + suffix}
        forge = {size: fp for host, size, fp in rows if host == "forge" + suffix}
        for size in sorted(set(a1111) & set(forge), key=int):
            ratio = med(forge[size]["step_acc"]) / med(a1111[size]["step_acc"])
            add(f"\nForge / A1111{suffix} per step with Accelerator at CFG 1, {size}²: {ratio:.2f} (separate runs)")
    add("")
    return lines


def speedup_section(rows: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Part b: speedup against 30 steps at CFG 7, next to the ideal and its fit."""
    lines: list[str] = []
    add = lines.append
    add("### b. Speedup: 30 steps CFG 7 (DPM++ 2M Karras, no LoRA) vs. the accelerated variant, wall clock\n")
    add("| host | size | variant | steps | 30 steps CFG 7 (s) | accelerated (s) | speedup | ideal | % of ideal |")
    add("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for host, size, sp in rows:
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
    for host, size, sp in rows:
        add(
            f"| {host} | {size}² | {sp['fit_steps']} | {spread(sp['fixed'])} | {spread(sp['per_step'], '{:.3f}')} "
            f"| {spread(sp['base_step'], '{:.3f}')} |"
        )
    if any(not sp["base_step"] for _, _, sp in rows):
        add("\nn/a per step: the host never calls the WebUI's cfg_denoiser callbacks, which the timing probe stamps")
        add("(SD.Next samples with diffusers); its per step above is the fit's, from wall clock.")
    add("")
    return lines


def overhead_section(over: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Part c: milliseconds inside Accelerator's hooks."""
    lines: list[str] = []
    add = lines.append
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
    return lines


def startup_section(starts: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
    """Start-up with and without the extension."""
    lines: list[str] = []
    add = lines.append
    add("### c. Start-up: with vs. without the extension (s; median [min-max] over starts)\n")
    add(
        "| host | accelerator.py load (ms) | load scripts with / without | create ui with / without "
        "| total with / without | extension's sockets at import | hub requests with / without |"
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
            f"{sum(r['hub_requests'] for r in with_)} / {sum(r['hub_requests'] for r in without)} |"
        )
    if any(host == "sdnext" for host, _ in starts):
        add("\nSD.Next: accelerator.py = the extension's scripts in its 'Extensions init time' line; load scripts =")
        add("its 'extensions', create ui = the sum of its 'ui-*' (its start-up timers have other names).")
    add("")
    return lines


def memory_section(mems: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Part d: peak resident memory, accordion against typed by hand."""
    lines: list[str] = []
    add = lines.append
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
    return lines
