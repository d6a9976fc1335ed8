"""How fast Accelerator makes the real WebUI, and what it costs: measured side by side in one run.

Starts one WebUI at a time (A1111 on port 7885, Forge 7886, reForge 7887, Forge Classic 7888, SD.Next 7889; each
host's flags from tests/e2e/stack.py's HOSTS table) from the harness in /work/shared/webui-harness, with
Accelerator, the e2e fixture's small LoRAs (user presets "e2e_*": the built-in methods' real settings) served by a
local fake hub, and a benchmark-only timing probe (benchmarks/timing_probe).
Every comparison is a ratio of jobs run interleaved (A B A B ...) in the same WebUI process; the table shows
the median over rounds and, in brackets, the spread (min-max) of the per-round values.

  fastpath  per-step time at CFG 1: Accelerator (A1111 fast path) vs. the same job typed by hand with the WebUI's
            own skip_early_cond=1 (the bound) and without any skip. Step times are the intervals between the
            sampler's model calls. Not run where the host skips the unconditional pass by itself (Forge,
            reForge, Forge Classic, SD.Next: Accelerator's adapters say so), the two jobs being the same there.
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

This file is the command line; the parts live beside it: speed_client.py (the API client, memory wait,
median/spread), speed_rounds.py (fastpath, speedup, overhead), speed_restarts.py (startup, memory) and
speed_report.py (the tables).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import harness  # noqa: E402
from benchmarks.speed_report import report  # noqa: E402
from benchmarks.speed_restarts import memory_run, startup_run  # noqa: E402
from benchmarks.speed_rounds import main_run  # noqa: E402

PARTS = ("fastpath", "speedup", "overhead", "startup", "memory")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--hosts",
        nargs="+",
        choices=sorted(harness.PORTS),
        default=["a1111", "forge"],
        help="WebUIs, one at a time (default a1111 forge; also reforge forge_classic sdnext)",
    )
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
