"""Small random LoRA files with the real layer names and shapes of the model families, in the key layouts
that LoRA trainers write. They are big enough to change an image and small enough to serve in tests.

`make_lora` writes the files the end-to-end stack serves; `tests/unit/lora_samples.py` builds its per-family
layer sets from the same `Layer`, layouts and tensor writer, so both layers of tests name keys one way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file


@dataclass(frozen=True)
class Layer:
    part: str  # unet, te, te2, transformer
    path: str  # diffusers module path
    fin: int
    fout: int
    conv: bool = False  # 1x1 convolution (SD1.5 proj_in / proj_out)


def attention_layers(block: str, ch: int, context: int, depth: tuple[int, ...] = (0,)) -> Iterator[Layer]:
    """Self- and cross-attention projections of one UNet transformer block."""
    for index in depth:
        t = f"{block}.transformer_blocks.{index}"
        for proj in ("to_q", "to_k", "to_v"):
            yield Layer("unet", f"{t}.attn1.{proj}", ch, ch)
        yield Layer("unet", f"{t}.attn1.to_out.0", ch, ch)
        yield Layer("unet", f"{t}.attn2.to_q", ch, ch)
        yield Layer("unet", f"{t}.attn2.to_k", context, ch)
        yield Layer("unet", f"{t}.attn2.to_v", context, ch)
        yield Layer("unet", f"{t}.attn2.to_out.0", ch, ch)


def text_encoder_layers(part: str, width: int, layer: int = 0) -> Iterator[Layer]:
    for proj in ("q_proj", "v_proj"):
        yield Layer(part, f"text_model.encoder.layers.{layer}.self_attn.{proj}", width, width)


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


def unet_layers(family: str) -> list[Layer]:
    """One transformer block in each of three UNet stages (down, mid, up) of an SD1.5 or SDXL model."""
    blocks, context = _BLOCKS[family]
    return [layer for block, channels in blocks for layer in attention_layers(block, channels, context)]


_KOHYA_PREFIX = {"unet": "lora_unet_", "te": "lora_te_", "te2": "lora_te2_", "transformer": "lora_transformer_"}
_DOTTED_PREFIX = {"unet": "unet.", "te": "text_encoder.", "te2": "text_encoder_2.", "transformer": "transformer."}
LAYOUTS = ("kohya", "diffusers", "peft", "peft_bare", "attn_processor")


def _names(layer: Layer, layout: str, sdxl: bool) -> tuple[str, str, str | None]:
    """(down, up, alpha or None) tensor names of one layer in one layout."""
    if layout == "kohya":
        prefix = "lora_te1_" if sdxl and layer.part == "te" else _KOHYA_PREFIX[layer.part]
        base = prefix + layer.path.replace(".", "_")
        return f"{base}.lora_down.weight", f"{base}.lora_up.weight", f"{base}.alpha"
    base = _DOTTED_PREFIX[layer.part] + layer.path
    if layout == "diffusers":
        infix = "lora_linear_layer" if layer.part.startswith("te") else "lora"
        return f"{base}.{infix}.down.weight", f"{base}.{infix}.up.weight", None
    if layout == "peft":
        return f"{base}.lora_A.weight", f"{base}.lora_B.weight", None
    if layout == "peft_bare":
        bare = "base_model.model." + layer.path
        return f"{bare}.lora_A.weight", f"{bare}.lora_B.weight", None
    if layout == "attn_processor":
        old = base.replace(".to_out.0", ".to_out")
        for proj in ("to_q", "to_k", "to_v", "to_out"):
            old = old.replace(f".attn1.{proj}", f".attn1.processor.{proj}").replace(
                f".attn2.{proj}", f".attn2.processor.{proj}"
            )
        old = old.replace(".self_attn.q_proj", ".self_attn.to_q").replace(".self_attn.v_proj", ".self_attn.to_v")
        return f"{old}_lora.down.weight", f"{old}_lora.up.weight", None
    raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")


def lora_tensors(
    layers: list[Layer], layout: str, rank: int = 4, seed: int = 7, std: float = 0.1
) -> dict[str, np.ndarray]:
    """Same seed, same matrices in every layout, so a converted file can be compared with its kohya twin."""
    rng = np.random.default_rng(seed)
    sdxl = any(layer.part == "te2" for layer in layers)
    tensors: dict[str, np.ndarray] = {}
    for layer in layers:
        down_shape = (rank, layer.fin, 1, 1) if layer.conv else (rank, layer.fin)
        up_shape = (layer.fout, rank, 1, 1) if layer.conv else (layer.fout, rank)
        down_name, up_name, alpha_name = _names(layer, layout, sdxl)
        tensors[down_name] = (rng.standard_normal(down_shape) * std).astype(np.float16)
        tensors[up_name] = (rng.standard_normal(up_shape) * std).astype(np.float16)
        if alpha_name is not None:
            tensors[alpha_name] = np.array(float(rank), dtype=np.float16)
    return tensors


def write_tensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> Path:
    save_file(tensors, str(path), metadata=metadata)
    return path


def write_lora(
    path: Path, layers: list[Layer], layout: str, rank: int = 4, metadata: dict[str, str] | None = None
) -> Path:
    return write_tensors(path, lora_tensors(layers, layout, rank), metadata)


def make_lora(
    path: Path, family: str, layout: str = "kohya", *, seed: int = 0, rank: int = 4, std: float = 0.1
) -> Path:
    """Write a random UNet-only LoRA; different seeds give different bytes, hence different sha256."""
    tensors = lora_tensors(unet_layers(family), layout, rank, seed, std)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_tensors(path, tensors, {"made_by": f"accelerator tests, {family} {layout} seed {seed}"})
