"""Forge Classic (Haoming02/sd-webui-forge-classic, branch `classic`, 1f95d717 of 2025-02-21): Forge's first
backend (`ldm_patched`) on an A1111 1.7-era front end, SD 1.5 and SDXL only, gradio 3.41.

What differs from A1111 (file:line at 1f95d717):
- No Schedule type dropdown and no `p.scheduler` (`modules/processing.py`; there is no `modules/sd_schedulers.py`).
  A schedule is either part of a sampler's name (`DPM++ 2M Karras` in `modules/sd_samplers_kdiffusion.py:13-41`;
  `Euler SGMUniform`, `Euler A SGMUniform`, `DPM++ 2M SGMUniform`, `DPM++ 2M SDE SGMUniform` in
  `modules_forge/forge_alter_samplers.py:46-49`) or the global option `k_sched_type` (`modules/shared_options.py:434`:
  Automatic, karras, exponential, polyexponential), which the k-diffusion samplers read in `get_sigmas`
  (`modules/sd_samplers_kdiffusion.py:101-124`) and which infotext writes as "Schedule type".
- The X/Y/Z plot is the built-in extension `extensions-builtin/xyz` (`scripts/xyz_grid.py`, whose `axis_options` is
  `lib_xyz.builtins.builtin_options`); its module is loaded under the same name as A1111's.
- `ldm_patched` drops the unconditional pass at CFG 1 (`ldm_patched/modules/samplers.py:341-346`).
- Model flags: `is_sd1`, `is_sd2`, `is_sdxl` (`modules_forge/forge_loader.py:253-270`); no `is_sd3`, no `is_ssd`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lib_accelerator.names import AUTOMATIC
from lib_accelerator.plan import HostCapabilities, Plan
from lib_accelerator.webui.hosts.common import A1111Family, has_module

PRECEDENCE = 20

SCHEDULE_OPTION = "k_sched_type"
# A schedule that Classic spells as a suffix of a sampler of its own: label -> suffix.
_NAMED_SCHEDULES = {"SGM Uniform": " SGMUniform", "Karras": " Karras", "Turbo": " Turbo"}


def detect() -> bool:
    return has_module("modules_forge") and has_module("ldm_patched") and not has_module("modules.sd_schedulers")


def _option_label(value: str) -> str:
    """`k_sched_type` values are lower case ("karras"); the labels of the neutral table are title case."""
    return value if value == AUTOMATIC else value.capitalize()


class Adapter(A1111Family):
    name = "forge_classic"
    lora_loader = "ldm_patched"

    def skips_uncond_at_cfg1(self) -> bool:
        return True

    def _option_values(self) -> list[str]:
        from modules import shared

        info = shared.opts.data_labels.get(SCHEDULE_OPTION)
        choices = (getattr(info, "component_args", None) or {}).get("choices", [AUTOMATIC])
        return [str(c) for c in choices]

    def _combined(self, sampler: str, label: str, names: frozenset[str]) -> str | None:
        """Classic's sampler for `sampler` with the schedule `label` built in ("Euler a" -> "Euler A SGMUniform")."""
        suffix = _NAMED_SCHEDULES.get(label)
        if suffix is None:
            return None
        wanted = (sampler + suffix).lower()
        return next((n for n in names if n.lower() == wanted), None)

    def _k_diffusion_samplers(self) -> frozenset[str]:
        """Samplers that read `k_sched_type`: the k-diffusion ones (and Accelerator's TCD, one of them)."""
        from modules import sd_samplers_kdiffusion

        return frozenset(s.name for s in sd_samplers_kdiffusion.samplers_data_k_diffusion) | {"LCM", "TCD"}

    def schedule_labels(self) -> frozenset[str] | None:
        return frozenset(_option_label(v) for v in self._option_values()) | frozenset(_NAMED_SCHEDULES)

    def capabilities(self) -> HostCapabilities:
        """A1111's, plus which schedules each sampler takes: the option's for the k-diffusion ones, and a named
        schedule only where Classic has a sampler of that name."""
        names = self.sampler_names()
        option_labels = frozenset(_option_label(v) for v in self._option_values())
        k_samplers = self._k_diffusion_samplers()
        takes = {
            sampler: frozenset({AUTOMATIC})
            | (option_labels if sampler in k_samplers else frozenset())
            | {label for label in _NAMED_SCHEDULES if self._combined(sampler, label, names)}
            for sampler in names
        }
        return replace(super().capabilities(), sampler_schedules=takes)

    def user_schedule(self, p: Any) -> str | None:
        from modules import shared

        value = p.override_settings.get(SCHEDULE_OPTION, shared.opts.data.get(SCHEDULE_OPTION, AUTOMATIC))
        return _option_label(str(value or AUTOMATIC))

    def _sampler_for(self, sampler: str, schedule: str | None, p: Any) -> str:
        """The sampler name to set, and `k_sched_type` for this job (always: the user's own global value, e.g.
        karras, must not reshape an accelerated run that wants the sampler's own schedule)."""
        combined = self._combined(sampler, schedule or "", self.sampler_names())
        option = AUTOMATIC if combined or schedule in (None, AUTOMATIC) else str(schedule).lower()
        self.override(p, SCHEDULE_OPTION, option)
        return combined or sampler

    def set_schedule(self, p: Any, plan: Plan) -> None:
        p.sampler_name = self._sampler_for(plan.sampler, plan.scheduler, p)

    def set_hires(self, p: Any, plan: Plan) -> None:
        super().set_hires(p, plan)
        p.hr_sampler_name = self._sampler_for(plan.sampler, plan.scheduler, p)
