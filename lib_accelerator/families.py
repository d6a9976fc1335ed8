"""Model families, and how to tell which one a loaded checkpoint belongs to."""

from __future__ import annotations

from dataclasses import dataclass

SD15, SD2, SDXL, SD3, FLUX = "sd15", "sd2", "sdxl", "sd3", "flux"
FAMILIES: dict[str, str] = {
    SD15: "SD 1.5",
    SD2: "SD 2.x",
    SDXL: "SDXL",
    SD3: "SD3 / SD3.5",
    FLUX: "FLUX.1",
}


@dataclass(frozen=True)
class ModelFlags:
    """What a host says about its loaded model; every WebUI sets a subset of these attributes."""

    is_sd1: bool = False
    is_sd2: bool = False
    is_sdxl: bool = False
    is_sd3: bool = False
    is_flux: bool = False
    is_ssd: bool = False


def family_from_flags(flags: ModelFlags) -> str | None:
    """The family of a loaded model, or None when it is none we know (a refiner, an unknown class)."""
    # SSD-1B is a pruned SDXL: full-SDXL LoRAs do not fit its UNet, so it must not be reported as SDXL.
    if flags.is_ssd:
        return None
    for present, family in (
        (flags.is_flux, FLUX),
        (flags.is_sd3, SD3),
        (flags.is_sdxl, SDXL),
        (flags.is_sd2, SD2),
        (flags.is_sd1, SD15),
    ):
        if present:
            return family
    return None


def family_label(family: str | None) -> str:
    return FAMILIES.get(family or "", "an unknown model family")
