"""Forge (lllyasviel/stable-diffusion-webui-forge, main, dormant since dfdcbab6 of 2025-06-26).

Differs from A1111 in: its `backend` skips the unconditional pass at CFG 1 by itself
(`backend/sampling/sampling_function.py`), it loads FLUX and Chroma (engine classes with no `is_flux` flag), its
LoRA loader maps more key layouts (`packages_3rdparty/comfyui_lora_collection`), and it loads SDXL-pruned UNets
(SSD-1B, Vega, KOALA) as StableDiffusionXL with `is_sdxl` set, which full-SDXL LoRAs do not fit.
"""

from __future__ import annotations

from typing import Any

from lib_accelerator.families import ModelFlags
from lib_accelerator.webui.hosts.common import A1111Family, has_module, is_refiner

PRECEDENCE = 10

# Forge's model configs for UNets pruned from SDXL.
_PRUNED_SDXL_CONFIGS = ("SSD1B", "Segmind_Vega", "KOALA_700M", "KOALA_1B")
_FLUX_ENGINES = ("Flux", "Chroma")


def detect() -> bool:
    return has_module("modules_forge") and has_module("backend.diffusion_engine")


class Adapter(A1111Family):
    name = "forge"
    lora_loader = "forge"

    def skips_uncond_at_cfg1(self) -> bool:
        return True

    def model_flags(self, model: Any) -> ModelFlags:
        config = getattr(model, "model_config", None)
        repo = str(getattr(config, "huggingface_repo", "") or "").lower()
        return ModelFlags(
            is_sd1=bool(getattr(model, "is_sd1", False)),
            is_sd2=bool(getattr(model, "is_sd2", False)),
            is_sdxl=bool(getattr(model, "is_sdxl", False)) and not is_refiner(model),
            is_sd3=bool(getattr(model, "is_sd3", False)),
            # Forge sets no is_flux flag; its Flux and Chroma engines are recognised by class or repo name.
            is_flux=type(model).__name__ in _FLUX_ENGINES or "flux" in repo,
            is_ssd=bool(getattr(model, "is_ssd", False)) or type(config).__name__ in _PRUNED_SDXL_CONFIGS,
        )
