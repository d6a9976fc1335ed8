"""Small real LoRA files in every key layout, with the true layer widths of each model family.

The SD1.5 layers and layouts are those of /work/shared/webui-harness/make_lora.py, which builds the LoRAs of the
end-to-end tests; the others follow the published architectures (SD2 context 1024, SDXL context 2048 with a
second text encoder of width 1280, FLUX hidden size 3072, SD3 hidden size 1536). Layers, key layouts and the
tensor writer are the ones the end-to-end files use (`tests/support/loras.py`).
"""

from __future__ import annotations

import numpy as np

from tests.support.loras import (
    LAYOUTS,
    Layer,
    attention_layers,
    lora_tensors,
    text_encoder_layers,
    unet_layers,
    write_lora,
    write_tensors,
)

__all__ = [
    "LAYOUTS",
    "Layer",
    "flux_bfl_kohya",
    "flux_layers",
    "lora_tensors",
    "sd2_layers",
    "sd3_layers",
    "sd15_full_layers",
    "sd15_layers",
    "sdxl_compvis_kohya",
    "sdxl_layers",
    "write_lora",
    "write_tensors",
]


def sd15_layers() -> list[Layer]:
    """Exactly the layers of the harness's make_lora.py: the end-to-end UNet blocks plus the text encoder."""
    return [*unet_layers("sd15"), *text_encoder_layers("te", 768)]


def sd15_full_layers() -> list[Layer]:
    """SD1.5 with its convolutional proj_in, as real LCM / Hyper-SD LoRAs have."""
    return [*sd15_layers(), Layer("unet", "up_blocks.2.attentions.0.proj_in", 640, 640, conv=True)]


def sd2_layers() -> list[Layer]:
    layers = list(attention_layers("down_blocks.1.attentions.0", 640, 1024))
    layers.append(Layer("unet", "down_blocks.1.attentions.0.proj_in", 640, 640))
    return layers + list(text_encoder_layers("te", 1024, layer=22))


def sdxl_layers() -> list[Layer]:
    layers = list(attention_layers("down_blocks.2.attentions.1", 1280, 2048, depth=(0, 9)))
    layers += attention_layers("up_blocks.0.attentions.0", 1280, 2048)
    return layers + list(text_encoder_layers("te", 768)) + list(text_encoder_layers("te2", 1280, layer=31))


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
