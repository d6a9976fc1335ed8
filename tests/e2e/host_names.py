"""How each host names, in its API and its infotext, the sampler and schedule a preset asks for.

Written from each host's own code (not from Accelerator's host adapters, which these tests check):
- A1111, Forge, reForge: a Schedule type registry (`/sdapi/v1/schedulers`) and infotext "Schedule type".
- Forge Classic (1f95d717): no schedule registry; "SGM Uniform" is part of a sampler's name ("Euler SGMUniform",
  `modules_forge/forge_alter_samplers.py:46-49`), other schedules are the `k_sched_type` option, written into the
  infotext as "Schedule type: karras" only when it is not Automatic (`modules/sd_samplers_kdiffusion.py:101-124`).
- SD.Next (058a7f0c): no schedule type; per-job `schedulers_*` fields, written as "Sampler spacing: trailing" etc.
  (`modules/processing_info.py:189-206`); `/sdapi/v1/schedulers` answers 500 there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from lib_accelerator.names import SAMPLERS, SCHEDULES

HOST = os.environ.get("WEBUI_HOST", "a1111")
CLASSIC_OPTION_SCHEDULES = ("Automatic", "Karras", "Exponential", "Polyexponential")
# The schedules SD.Next can be given per job, as the infotext entry it then writes (None: writes nothing).
SDNEXT_SCHEDULES: dict[str, tuple[str, str] | None] = {
    "Automatic": None,
    "SGM Uniform": ("Sampler spacing", "trailing"),
    "Simple": ("Sampler spacing", "trailing"),
    "Normal": ("Sampler spacing", "linspace"),
    "Karras": ("Sampler sigma", "karras"),
    "Exponential": ("Sampler sigma", "exponential"),
}
SDNEXT_FIELDS = {"Sampler spacing": "schedulers_timestep_spacing", "Sampler sigma": "schedulers_sigma"}


@dataclass(frozen=True)
class Names:
    sampler: str  # as the infotext's "Sampler" says it
    infotext: dict[str, str | None]  # schedule entries of the infotext (None: the key must be absent)
    fields: dict[str, Any] = field(default_factory=dict)  # the API request fields that ask for the same by hand


def _wanted(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def expected(variant: dict[str, Any], webui: Any) -> Names:
    """The first sampler / schedule of the preset that this host has, in this host's words."""
    samplers = {s["name"] for s in webui.get("/sdapi/v1/samplers")}
    names = {**SAMPLERS, "tcd": "TCD"}  # TCD: once Accelerator registered its sampler (or SD.Next's own)
    sampler = next(names[s] for s in _wanted(variant["sampler"]) if names[s] in samplers)
    labels = [SCHEDULES[s] for s in _wanted(variant["schedule"])]
    if HOST == "forge_classic":
        return _classic(sampler, labels, samplers)
    if HOST == "sdnext":
        return _sdnext(sampler, labels)
    schedules = {s["label"] for s in webui.get("/sdapi/v1/schedulers")}
    schedule = next(label for label in labels if label in schedules)
    return Names(sampler, {"Schedule type": schedule}, {"sampler_name": sampler, "scheduler": schedule})


def _classic(sampler: str, labels: list[str], samplers: set[str]) -> Names:
    by_lower = {s.lower(): s for s in samplers}
    for label in labels:
        combined = by_lower.get(f"{sampler} SGMUniform".lower()) if label == "SGM Uniform" else None
        if combined:
            return Names(combined, {"Schedule type": None}, {"sampler_name": combined})
        if label in CLASSIC_OPTION_SCHEDULES:
            option = label if label == "Automatic" else label.lower()
            written = None if option == "Automatic" else option
            fields = {"sampler_name": sampler, "override_settings": {"k_sched_type": option}}
            return Names(sampler, {"Schedule type": written}, fields)
    return Names(sampler, {"Schedule type": None}, {"sampler_name": sampler})


def _sdnext(sampler: str, labels: list[str]) -> Names:
    label = next((label for label in labels if label in SDNEXT_SCHEDULES), "Automatic")
    entry = SDNEXT_SCHEDULES[label]
    if entry is None:
        return Names(sampler, {key: None for key in SDNEXT_FIELDS}, {"sampler_name": sampler})
    key, value = entry
    return Names(sampler, {key: value}, {"sampler_name": sampler, SDNEXT_FIELDS[key]: value})


def lora_named(found: dict[str, str], stem: str) -> bool:
    """The infotext says the LoRA was applied: A1111's Lora extension writes its hash, SD.Next its name."""
    if HOST == "sdnext":
        return stem in [n.strip() for n in found.get("LoRA networks", "").split(",")]
    return found.get("Lora hashes", "").startswith(f"{stem}: ")


def no_lora(found: dict[str, str]) -> bool:
    return "Lora hashes" not in found and "LoRA networks" not in found
