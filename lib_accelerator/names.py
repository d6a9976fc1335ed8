"""The extension's neutral sampler and schedule names, and the WebUI display names they map to.

Presets speak in these neutral names so that one file serves every host; `plan` turns them into the
exact names the running WebUI lists (A1111 and Forge use the same display names, Forge has a few more).
"""

from __future__ import annotations

# neutral sampler id -> WebUI display name
SAMPLERS: dict[str, str] = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "lcm": "LCM",
    "dpmpp_sde": "DPM++ SDE",
    "dpmpp_2m": "DPM++ 2M",
    "ddim": "DDIM",
    # No A1111/Forge release ships it; webui/tcd_sampler.py registers one under this name where it is missing, and
    # a plan uses it only where the host's live sampler list has it (else the preset's fallback).
    "tcd": "TCD",
}

# neutral schedule id -> WebUI "Schedule type" label
SCHEDULES: dict[str, str] = {
    "automatic": "Automatic",
    "uniform": "Uniform",
    "karras": "Karras",
    "exponential": "Exponential",
    "sgm_uniform": "SGM Uniform",
    "simple": "Simple",
    "normal": "Normal",
    "beta": "Beta",
    "turbo": "Turbo",
    # Forge Neo's flow-matching schedule (it reads the model's shift); SD.Next has no Schedule type at all and
    # turns "Euler" into "Euler FlowMatch" by itself for flow models (notes/sdnext.md section 3).
    "flow_match": "FlowMatchEulerDiscrete",
}
# The WebUI's "leave the schedule to the sampler" choice.
AUTOMATIC = SCHEDULES["automatic"]


def sampler_id_for(display_name: str) -> str | None:
    """Reverse lookup, for values typed in the UI or pasted from infotext."""
    wanted = display_name.strip().lower()
    return next((k for k, v in SAMPLERS.items() if (v is not None and v.lower() == wanted) or k == wanted), None)


def schedule_id_for(label: str) -> str | None:
    wanted = label.strip().lower()
    return next((k for k, v in SCHEDULES.items() if v.lower() == wanted or k == wanted), None)
