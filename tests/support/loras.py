"""Small random LoRA files with the real layer names and shapes of SD1.5 and SDXL, in the key layouts
that LoRA trainers write. They are big enough to change an image and small enough to serve in tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

# (diffusers attention block, channels) and the cross-attention context width, per family
_BLOCKS = {
    "sd15": (
        [("down_blocks.0.attentions.0", 320), ("mid_block.attentions.0", 1280), ("up_blocks.3.attentions.2", 320)],
        768,
    ),
    "sdxl": (
        [("down_blocks.1.attentions.0", 640), ("mid_block.attentions.0", 1280), ("up_blocks.0.attentions.0", 1280)],
        2048,
    ),
}
LAYOUTS = ("kohya", "diffusers", "peft")


def _layers(family: str) -> Iterator[tuple[str, int, int]]:
    blocks, context = _BLOCKS[family]
    for block, channels in blocks:
        base = f"{block}.transformer_blocks.0"
        for proj in ("to_q", "to_k", "to_v", "to_out.0"):
            yield f"{base}.attn1.{proj}", channels, channels
        yield f"{base}.attn2.to_q", channels, channels
        yield f"{base}.attn2.to_k", context, channels
        yield f"{base}.attn2.to_v", context, channels
        yield f"{base}.attn2.to_out.0", channels, channels


def make_lora(
    path: Path, family: str, layout: str = "kohya", *, seed: int = 0, rank: int = 4, std: float = 0.1
) -> Path:
    """Write a random LoRA; different seeds give different bytes, hence different sha256."""
    rng = np.random.default_rng(seed)
    tensors: dict[str, np.ndarray] = {}
    for module, fan_in, fan_out in _layers(family):
        down = (rng.standard_normal((rank, fan_in)) * std).astype(np.float16)
        up = (rng.standard_normal((fan_out, rank)) * std).astype(np.float16)
        if layout == "kohya":
            name = "lora_unet_" + module.replace(".", "_")
            tensors[f"{name}.lora_down.weight"] = down
            tensors[f"{name}.lora_up.weight"] = up
            tensors[f"{name}.alpha"] = np.array(float(rank), dtype=np.float16)
        elif layout == "diffusers":
            tensors[f"unet.{module}.lora.down.weight"] = down
            tensors[f"unet.{module}.lora.up.weight"] = up
        elif layout == "peft":
            tensors[f"unet.{module}.lora_A.weight"] = down
            tensors[f"unet.{module}.lora_B.weight"] = up
        else:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"made_by": f"accelerator tests, {family} {layout} seed {seed}"})
    return path
