"""Forge Neo (Haoming02/sd-webui-forge-classic, branch `neo`): written from its source, never run here (no
snapshot of the `neo` branch can be fetched on these machines). Each fact names the file and commit it was read
at, through the stored public versions of its files (notes in the closing note of the hosts issue).

What differs from Forge main:
- Engines for Qwen-Image, Wan 2.x, Z-Image, FLUX.2 Klein, Lumina 2 beside SD 1.5/SDXL/FLUX/Chroma; SD2 and SD3
  removed. Flags: `is_sd1`, `is_sdxl`, `is_wan` (Wan, also Qwen and Anima), `use_shift`, `use_distilled_cfg_scale`
  (`backend/diffusion_engine/base.py`@0b824fed); no `is_sd2`/`is_sd3`/`is_flux`: the family is the engine class
  (`backend/loader.py`@0a4d9229 `possible_models`).
- `p.distilled_cfg_scale` carries FLUX's distilled CFG where the engine has `use_distilled_cfg_scale`, and the flow
  shift where it has `use_shift` (Wan, Z-Image, Lumina 2, SDXL-RF; not Qwen-Image) (`base.set_shift`@0b824fed;
  infotext "Shift" in `modules/processing.py`@2bec129a).
- 16 k-diffusion samplers with LCM and no TCD (`modules/sd_samplers_kdiffusion.py`@1c67c914); 17 schedules incl.
  FlowMatchEulerDiscrete and Flux2 (`modules/sd_schedulers.py`, in Neo copies; no Haoming02 version stored).
- LoRAs: `[cmd_opts.lora_dir, *cmd_opts.lora_dirs]`; a file with more than half its tensors unmatched is skipped with
  only a warning "[LORA] LoRA mismatch" (`extensions-builtin/sd_forge_lora/networks.py`@19cc8799).
- X/Y/Z is A1111's `scripts/xyz_grid.py` again (`AxisOption`, `axis_options`), found as on A1111.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lib_accelerator.families import ModelFlags
from lib_accelerator.webui.hosts.common import A1111Family, has_module

PRECEDENCE = 30

# Engine class -> the family flag it stands for (`backend/loader.py`@0a4d9229 `possible_models`).
_ENGINE_FLAGS = {
    "StableDiffusion": "is_sd1",
    "StableDiffusionXL": "is_sdxl",  # not StableDiffusionXLRefiner: SDXL LoRAs do not fit the refiner
    "Flux": "is_flux",
    "Chroma": "is_flux",
}


def detect() -> bool:
    # Forge 2's backend with the engines only Neo has
    return has_module("modules_forge") and any(
        has_module(f"backend.diffusion_engine.{engine}") for engine in ("qwen", "wan", "zimage", "flux2")
    )


class Adapter(A1111Family):
    name = "forge_neo"
    lora_loader = "forge"

    def skips_uncond_at_cfg1(self) -> bool:
        return True  # `processing.setup_conds`: at CFG 1 the negative conditioning is dropped (@2bec129a)

    def model_flags(self, model: Any) -> ModelFlags:
        flag = _ENGINE_FLAGS.get(type(model).__name__)
        return ModelFlags(**{flag: True}) if flag else ModelFlags()

    def lora_dirs(self) -> list[Path]:
        from modules import shared

        extra = getattr(shared.cmd_opts, "lora_dirs", None) or []
        return [self.lora_dir(), *(Path(folder) for folder in extra)]
