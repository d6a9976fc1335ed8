"""Model families, their base variants and checkpoint precisions, and how to tell which one is loaded.

A family decides which LoRA files can fit at all (key names and widths). Inside a family the base
variant decides which file is the right one (Qwen-Image-Edit-2509 needs its own Lightning file) and the
precision whether a file can be applied (a plain-fp8 Qwen-Image needs an fp8-specific file; Forge Neo applies
no LoRA to a Nunchaku Z-Image). The WebUI glue fills a `LoadedModel` from what its host tells; the
resolver in `compatibility.py` takes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SD15, SD2, SDXL, SD3, FLUX = "sd15", "sd2", "sdxl", "sd3", "flux"
QWEN_IMAGE, WAN22, Z_IMAGE, FLUX2, CHROMA = "qwen_image", "wan22", "z_image", "flux2", "chroma"
FAMILIES: dict[str, str] = {
    SD15: "SD 1.5",
    SD2: "SD 2.x",
    SDXL: "SDXL",
    SD3: "SD3 / SD3.5",
    FLUX: "FLUX.1",
    QWEN_IMAGE: "Qwen-Image",
    WAN22: "Wan 2.2",
    Z_IMAGE: "Z-Image",
    FLUX2: "FLUX.2",
    CHROMA: "Chroma",
}

# Per family, the checkpoints that need different files or settings; the first is assumed when the host
# cannot tell (with a warning). Families without an entry have no variants that matter to Accelerator.
BASE_VARIANTS: dict[str, dict[str, str]] = {
    QWEN_IMAGE: {
        "original": "Qwen-Image",
        "edit": "Qwen-Image-Edit",
        "edit-2509": "Qwen-Image-Edit-2509",
        "edit-2511": "Qwen-Image-Edit-2511",
    },
    WAN22: {"t2v-a14b": "Wan 2.2 T2V A14B", "i2v-a14b": "Wan 2.2 I2V A14B"},
    Z_IMAGE: {"base": "Z-Image", "turbo": "Z-Image-Turbo"},
    FLUX2: {"dev": "FLUX.2 [dev]", "klein": "FLUX.2 [klein]"},
}

BF16, FP16, FP32, FP8, FP8_SCALED, GGUF, NUNCHAKU = "bf16", "fp16", "fp32", "fp8", "fp8_scaled", "gguf", "nunchaku"
PRECISIONS: dict[str, str] = {
    BF16: "bf16",
    FP16: "fp16",
    FP32: "fp32",
    FP8: "plain fp8 (e4m3fn / e5m2)",
    FP8_SCALED: "fp8-scaled (mixed precision)",
    GGUF: "GGUF",
    NUNCHAKU: "Nunchaku (SVDQuant)",
}


@dataclass(frozen=True)
class LoadedModel:
    """What is loaded, as far as the host can tell: "" in a field means "the host does not say"."""

    family: str | None
    base_variant: str = ""
    precision: str = ""
    host: str = ""  # host adapter name ("forge_neo", "sdnext", ...): some refusals depend on it

    @property
    def base_label(self) -> str:
        labels = BASE_VARIANTS.get(self.family or "", {})
        return labels.get(self.base_variant, family_label(self.family))


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


def base_variant_label(family: str, base_variant: str) -> str:
    return BASE_VARIANTS.get(family, {}).get(base_variant, base_variant or family_label(family))


def qwen_base_from_name(checkpoint_name: str) -> str:
    """The Qwen-Image base variant a checkpoint's file name says.

    Forge Neo tells Edit from the original only by "qwen" and "edit" in the path (`dynamic_args.edit`) and
    does not tell 2509 from 2511 at all (notes/forge-neo.md §4), so the release tag in the name decides.
    """
    name = checkpoint_name.lower()
    if "edit" not in name:
        return "original"
    for release in ("2511", "2509"):
        if release in name:
            return f"edit-{release}"
    return "edit"


# File-name hints, most specific first: "fp8_e4m3fn_scaled" is fp8-scaled, not plain fp8.
_PRECISION_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"nunchaku|svdq"), NUNCHAKU),
    (re.compile(r"\.gguf$|[-_.]q\d(_[k01])?"), GGUF),
    (re.compile(r"fp8.*scaled|scaled.*fp8"), FP8_SCALED),
    (re.compile(r"fp8|e4m3|e5m2"), FP8),
    (re.compile(r"bf16"), BF16),
    (re.compile(r"fp16"), FP16),
    (re.compile(r"fp32"), FP32),
)


def precision_from_name(checkpoint_name: str) -> str:
    """A precision guess from a checkpoint file name ("" when it says nothing); a host's own answer wins."""
    name = checkpoint_name.lower()
    return next((precision for pattern, precision in _PRECISION_HINTS if pattern.search(name)), "")


# Forge Neo's storage dtypes as text (`str(torch.float8_e4m3fn)`, or "gguf"/"nf4"/"fp4"): notes/forge-neo.md §4.
_DTYPES = (("float8", FP8), ("bfloat16", BF16), ("float16", FP16), ("float32", FP32), ("gguf", GGUF))


def precision_from_dtype(dtype: str, *, mixed_ops: bool = False, nunchaku: bool = False) -> str:
    """The precision of a loaded diffusion model from what Forge Neo says: `dynamic_args` "nunchaku", an `ops`
    name starting with "Mixed" (fp8-scaled checkpoints), else the storage dtype. "" when none of these fits."""
    if nunchaku:
        return NUNCHAKU
    if mixed_ops:
        return FP8_SCALED
    text = dtype.lower()
    return next((precision for needle, precision in _DTYPES if needle in text), "")
