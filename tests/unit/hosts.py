"""Sampler and schedule-type names as the real WebUIs list them (reference/a1111-api.md §4, forge.md §3)."""

from lib_accelerator.plan import HostCapabilities

_A1111_SAMPLERS = frozenset(
    {
        "DPM++ 2M",
        "DPM++ SDE",
        "DPM++ 2M SDE",
        "DPM++ 2M SDE Heun",
        "DPM++ 2S a",
        "DPM++ 3M SDE",
        "Euler a",
        "Euler",
        "LMS",
        "Heun",
        "DPM2",
        "DPM2 a",
        "DPM fast",
        "DPM adaptive",
        "Restart",
        "DDIM",
        "PLMS",
        "UniPC",
        "LCM",
    }
)
_SCHEDULES_1_9 = frozenset({"Automatic", "Uniform", "Karras", "Exponential", "Polyexponential", "SGM Uniform"})
_SCHEDULES_1_10 = _SCHEDULES_1_9 | {"KL Optimal", "Align Your Steps", "Simple", "Normal", "DDIM", "Beta"}

A1111_1_9 = HostCapabilities("a1111", _A1111_SAMPLERS, _SCHEDULES_1_9)
A1111_1_10 = HostCapabilities("a1111", _A1111_SAMPLERS | {"DDIM CFG++"}, _SCHEDULES_1_10)
FORGE = HostCapabilities(
    "forge",
    _A1111_SAMPLERS | {"DDIM CFG++", "HeunPP2", "IPNDM", "IPNDM_V", "DEIS", "DDPM"},
    _SCHEDULES_1_10 | {"Turbo", "Align Your Steps GITS", "Align Your Steps 11", "Align Your Steps 32"},
    skips_uncond_at_cfg1=True,
    has_hr_cfg=True,
    has_distilled_cfg=True,
)
# A1111 1.7: no LCM sampler and no Schedule type dropdown.
A1111_1_7 = HostCapabilities("a1111", _A1111_SAMPLERS - {"LCM"}, None)
ALL = {"a1111-1.9": A1111_1_9, "a1111-1.10": A1111_1_10, "forge": FORGE}
