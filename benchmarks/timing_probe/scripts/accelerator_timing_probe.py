"""Benchmark-only WebUI script: never shipped, never loaded unless benchmarks/harness.py links this folder into a
WebUI's extensions and sets ACC_BENCH_TIMINGS. Without that variable it does nothing at all.

For every generation it appends one JSON line to the file ACC_BENCH_TIMINGS names:
- `hooks`: seconds spent in Accelerator's `generation.before_process`, `generation.process` and
  `generation.postprocess_batch` (`lib_accelerator.webui.generation`, `runtime` before the host layer split it;
  wrapped once the app has started; scripts/accelerator.py looks them up on the module at each call, so the
  wrappers time exactly the work the hooks do);
- `steps`: perf_counter at each `cfg_denoiser` callback (one per model call of the sampler), so step times are
  the intervals, free of fixed costs; `skip_early_cond`: the option's value while the first step ran;
- `job`: seconds from the first hook (`before_process`) to this script's `postprocess`.
"""

import json
import os
import sys
import time

from modules import script_callbacks, scripts, shared

OUT = os.environ.get("ACC_BENCH_TIMINGS")
_record: dict = {}


def _reset() -> None:
    _record.clear()
    _record.update(hooks={}, steps=[], start=None, skip_early_cond=None)


def _wrap(module, name: str) -> None:
    original = getattr(module, name)
    if getattr(original, "_timing_probe", False):
        return

    def timed(*args, **kwargs):
        start = time.perf_counter()
        if name == "before_process":  # the first hook of every job, accordion on or off
            _reset()
            _record["start"] = start
        try:
            return original(*args, **kwargs)
        finally:
            hooks = _record["hooks"]
            hooks[name] = hooks.get(name, 0.0) + time.perf_counter() - start

    timed._timing_probe = True
    setattr(module, name, timed)


# Where Accelerator's hooks live: `generation` since the host layer (3e9e07c), `runtime` before it.
HOOK_MODULES = ("lib_accelerator.webui.generation", "lib_accelerator.webui.runtime")


def _install(*_args) -> None:
    hooks = next((sys.modules[name] for name in HOOK_MODULES if name in sys.modules), None)
    if hooks is None:
        print("accelerator timing probe: Accelerator is not loaded; only step times are recorded")
        return
    for name in ("before_process", "process", "postprocess_batch"):
        _wrap(hooks, name)


def _step(_params) -> None:
    if _record.get("skip_early_cond") is None:
        _record["skip_early_cond"] = float(getattr(shared.opts, "skip_early_cond", 0.0) or 0.0)
    _record["steps"].append(time.perf_counter())


class TimingProbe(scripts.Script):
    def title(self):
        return "Accelerator timing probe"

    def show(self, is_img2img):
        return scripts.AlwaysVisible if OUT else False

    def postprocess(self, p, processed, *args):
        now = time.perf_counter()
        start = _record.get("start")
        line = {
            "job": None if start is None else now - start,
            "hooks": _record.get("hooks", {}),
            "steps": _record.get("steps", []),
            "skip_early_cond": _record.get("skip_early_cond"),
            "cfg": float(p.cfg_scale),
            "n_steps": int(p.steps),
            "sampler": p.sampler_name,
            "size": [int(p.width), int(p.height)],
            "accelerated": "Accelerator" in (getattr(p, "extra_generation_params", None) or {}),
        }
        with open(OUT, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
        _reset()


if OUT:
    _reset()
    script_callbacks.on_app_started(_install)
    script_callbacks.on_cfg_denoiser(_step)
