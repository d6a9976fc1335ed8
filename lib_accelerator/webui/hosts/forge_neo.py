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

from lib_accelerator import families
from lib_accelerator.families import ModelFlags
from lib_accelerator.plan import HostCapabilities, Plan
from lib_accelerator.webui.hosts.common import A1111Family, has_module

PRECEDENCE = 30

# Engine class -> the family flag it stands for (`backend/loader.py`@0a4d9229 `possible_models`).
_ENGINE_FLAGS = {
    "StableDiffusion": "is_sd1",
    "StableDiffusionXL": "is_sdxl",  # not StableDiffusionXLRefiner: SDXL LoRAs do not fit the refiner
    "Flux": "is_flux",
    "Chroma": "is_flux",
}


# Engine class -> family, for the families beyond A1111's flags.
_ENGINE_FAMILIES = {
    "QwenImage": families.QWEN_IMAGE,
    "Wan": families.WAN22,  # Neo's one Wan class runs 2.1 and 2.2; the A14B LoRAs are 2.2's
    "ZImage": families.Z_IMAGE,
    "Flux2": families.FLUX2,
}
_WAN_I2V_IN_DIM = 36  # Wan's diffusion model takes 36 input channels for image-to-video, 16 for text (wan.py@0b824fed)


def _dynamic_args() -> Any:
    """`backend.args.dynamic_args`: a class with `get` in @089030f1, a dict in Feb-2026 copies; `.get` fits both."""
    from backend.args import dynamic_args

    return dynamic_args


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

    def loaded_family(self) -> str | None:
        from modules import shared

        engine = type(shared.sd_model).__name__
        return _ENGINE_FAMILIES.get(engine) or super().loaded_family()

    def base_variant(self, family: str | None, model: Any, name: str) -> str:
        args = _dynamic_args()
        if family == families.QWEN_IMAGE:
            # `dynamic_args.edit` is "qwen" and "edit" in the path (loader.py@0a4d9229); 2509/2511 only in the name
            return families.qwen_base_from_name(name) if args.get("edit", False) else "original"
        if family == families.WAN22:
            in_dim = getattr(self._diffusion_model(model), "in_dim", None)
            return "i2v-a14b" if in_dim == _WAN_I2V_IN_DIM or "i2v" in name.lower() else "t2v-a14b"
        if family == families.FLUX2:
            return "klein" if args.get("klein", False) else "dev"
        if family == families.Z_IMAGE:
            # Neo loads Z-Image base and Turbo alike (model_list.py: one repo for both); only the name tells
            return "turbo" if "turbo" in name.lower() else "base"
        return ""

    def _diffusion_model(self, model: Any) -> Any:
        unet = getattr(getattr(model, "forge_objects", None), "unet", None)
        return getattr(getattr(unet, "model", None), "diffusion_model", None)

    def precision(self, model: Any, name: str) -> str:
        args = _dynamic_args()
        unet_model = getattr(getattr(getattr(model, "forge_objects", None), "unet", None), "model", None)
        found = families.precision_from_dtype(
            str(getattr(unet_model, "storage_dtype", "")),
            mixed_ops=str(args.get("ops", "") or "").startswith("Mixed"),
            nunchaku=bool(args.get("nunchaku", False)),
        )
        return found or families.precision_from_name(name)

    # --- shift and distilled CFG share p.distilled_cfg_scale: which one it is depends on the engine --------
    def capabilities(self) -> HostCapabilities:
        from dataclasses import replace

        base = super().capabilities()
        model = self.loaded_model()
        distilled = bool(getattr(model, "use_distilled_cfg_scale", False)) if model is not None else False
        return replace(base, has_distilled_cfg=base.has_distilled_cfg and distilled, has_shift=self.has_shift())

    def has_shift(self) -> bool:
        model = self.loaded_model()
        return bool(getattr(model, "use_shift", False)) if model is not None else False

    def set_schedule(self, p: Any, plan: Plan) -> None:
        super().set_schedule(p, plan)
        if plan.shift is not None:
            p.distilled_cfg_scale = plan.shift  # set_shift() reads it for the engines with use_shift (base.py)

    def set_hires(self, p: Any, plan: Plan) -> None:
        super().set_hires(p, plan)
        if plan.shift is not None and hasattr(p, "hr_distilled_cfg"):
            p.hr_distilled_cfg = plan.shift  # the hires pass builds its conditioning from this one

    def lora_dirs(self) -> list[Path]:
        from modules import shared

        extra = getattr(shared.cmd_opts, "lora_dirs", None) or []
        return [self.lora_dir(), *(Path(folder) for folder in extra)]
