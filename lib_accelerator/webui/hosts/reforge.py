"""reForge (Panchovix/stable-diffusion-webui-reForge, main 3b56b268 of 2026-03-11).

A1111's front end (its `modules/`, Schedule type dropdown, `scripts/xyz_grid.py`, model flags `is_sd1/2/xl/sd3`,
`skip_early_cond`) on Forge's first backend, `ldm_patched`: its sampling function drops the unconditional pass at
CFG 1 unless a model option disables that (`ldm_patched/modules/samplers.py` `sampling_function`), and its Lora
extension hands the file to `ldm_patched`'s `load_lora_for_models`, whose key map is not A1111's.
"""

from __future__ import annotations

from lib_accelerator.webui.hosts.common import A1111Family, has_module

PRECEDENCE = 20


def detect() -> bool:
    # Forge's first backend with A1111's schedule registry; Forge Classic has the backend without the registry,
    # Forge main and Neo replaced the backend with `backend`.
    return (
        has_module("ldm_patched") and has_module("modules.sd_schedulers") and not has_module("backend.diffusion_engine")
    )


class Adapter(A1111Family):
    name = "reforge"
    lora_loader = "ldm_patched"

    def skips_uncond_at_cfg1(self) -> bool:
        return True
