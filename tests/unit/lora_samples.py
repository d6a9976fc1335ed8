"""Small real LoRA files in every key layout, with the true layer widths of each model family.

The SD1.5 layers and layouts are those of /work/shared/webui-harness/make_lora.py, which builds the LoRAs of the
end-to-end tests; the others follow the published architectures (SD2 context 1024, SDXL context 2048 with a
second text encoder of width 1280, FLUX hidden size 3072, SD3 hidden size 1536).
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


def _attention(block: str, ch: int, context: int, depth: tuple[int, ...] = (0,)) -> Iterator[Layer]:
    for index in depth:
        t = f"{block}.transformer_blocks.{index}"
        for proj in ("to_q", "to_k", "to_v"):
            yield Layer("unet", f"{t}.attn1.{proj}", ch, ch)
        yield Layer("unet", f"{t}.attn1.to_out.0", ch, ch)
        yield Layer("unet", f"{t}.attn2.to_q", ch, ch)
        yield Layer("unet", f"{t}.attn2.to_k", context, ch)
        yield Layer("unet", f"{t}.attn2.to_v", context, ch)
        yield Layer("unet", f"{t}.attn2.to_out.0", ch, ch)


def _text_encoder(part: str, width: int, layer: int = 0) -> Iterator[Layer]:
    for proj in ("q_proj", "v_proj"):
        yield Layer(part, f"text_model.encoder.layers.{layer}.self_attn.{proj}", width, width)


def sd15_layers() -> list[Layer]:
    """Exactly the layers of the harness's make_lora.py."""
    layers: list[Layer] = []
    for block, ch in (("down_blocks.0.attentions.0", 320), ("mid_block.attentions.0", 1280),
                      ("up_blocks.3.attentions.2", 320)):  # fmt: skip
        layers += _attention(block, ch, 768)
    return layers + list(_text_encoder("te", 768))


def sd15_full_layers() -> list[Layer]:
    """SD1.5 with its convolutional proj_in, as real LCM / Hyper-SD LoRAs have."""
    return [*sd15_layers(), Layer("unet", "up_blocks.2.attentions.0.proj_in", 640, 640, conv=True)]


def sd2_layers() -> list[Layer]:
    layers = list(_attention("down_blocks.1.attentions.0", 640, 1024))
    layers.append(Layer("unet", "down_blocks.1.attentions.0.proj_in", 640, 640))
    return layers + list(_text_encoder("te", 1024, layer=22))


def sdxl_layers() -> list[Layer]:
    layers = list(_attention("down_blocks.2.attentions.1", 1280, 2048, depth=(0, 9)))
    layers += _attention("up_blocks.0.attentions.0", 1280, 2048)
    return layers + list(_text_encoder("te", 768)) + list(_text_encoder("te2", 1280, layer=31))


def flux_layers() -> list[Layer]:
    return [
        Layer("transformer", "transformer_blocks.0.attn.to_q", 3072, 3072),
        Layer("transformer", "transformer_blocks.0.attn.add_q_proj", 3072, 3072),
        Layer("transformer", "single_transformer_blocks.0.attn.to_q", 3072, 3072),
        Layer("transformer", "x_embedder", 64, 3072),
    ]


def sd3_layers() -> list[Layer]:
    return [
        Layer("transformer", "transformer_blocks.0.attn.to_q", 1536, 1536),
        Layer("transformer", "transformer_blocks.0.attn.add_k_proj", 1536, 1536),
        Layer("transformer", "context_embedder", 4096, 1536),
    ]


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
    raise ValueError(layout)


def lora_tensors(layers: list[Layer], layout: str, rank: int = 4, seed: int = 7) -> dict[str, np.ndarray]:
    """Same seed, same matrices in every layout, so a converted file can be compared with its kohya twin."""
    rng = np.random.default_rng(seed)
    sdxl = any(layer.part == "te2" for layer in layers)
    tensors: dict[str, np.ndarray] = {}
    for layer in layers:
        down_shape = (rank, layer.fin, 1, 1) if layer.conv else (rank, layer.fin)
        up_shape = (layer.fout, rank, 1, 1) if layer.conv else (layer.fout, rank)
        down_name, up_name, alpha_name = _names(layer, layout, sdxl)
        tensors[down_name] = (rng.standard_normal(down_shape) * 0.1).astype(np.float16)
        tensors[up_name] = (rng.standard_normal(up_shape) * 0.1).astype(np.float16)
        if alpha_name is not None:
            tensors[alpha_name] = np.array(float(rank), dtype=np.float16)
    return tensors


def write_lora(
    path: Path, layers: list[Layer], layout: str, rank: int = 4, metadata: dict[str, str] | None = None
) -> Path:
    save_file(lora_tensors(layers, layout, rank), str(path), metadata=metadata)
    return path


def write_tensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> Path:
    save_file(tensors, str(path), metadata=metadata)
    return path


def sdxl_compvis_kohya() -> dict[str, np.ndarray]:
    """SDXL kohya LoRA with compvis module names (lora_unet_input_blocks_…), as many SDXL trainers write."""
    rng = np.random.default_rng(3)
    tensors: dict[str, np.ndarray] = {}
    for module, fin, fout in (
        ("lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k", 2048, 640),
        ("lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_q", 640, 640),
        ("lora_unet_output_blocks_0_1_transformer_blocks_0_attn1_to_q", 1280, 1280),
        ("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", 768, 768),
        ("lora_te2_text_model_encoder_layers_0_self_attn_q_proj", 1280, 1280),
    ):
        tensors[f"{module}.lora_down.weight"] = rng.standard_normal((8, fin)).astype(np.float16)
        tensors[f"{module}.lora_up.weight"] = rng.standard_normal((fout, 8)).astype(np.float16)
        tensors[f"{module}.alpha"] = np.array(4.0, dtype=np.float32)
    return tensors


def flux_bfl_kohya() -> dict[str, np.ndarray]:
    """FLUX LoRA with Black Forest Labs block names under lora_unet_ (Forge maps these)."""
    rng = np.random.default_rng(5)
    tensors: dict[str, np.ndarray] = {}
    for module in ("lora_unet_double_blocks_0_img_attn_qkv", "lora_unet_single_blocks_0_linear1"):
        tensors[f"{module}.lora_down.weight"] = rng.standard_normal((4, 3072)).astype(np.float16)
        tensors[f"{module}.lora_up.weight"] = rng.standard_normal((9216, 4)).astype(np.float16)
    return tensors
