"""The 2025-26 families, their base variants and the precision values the resolver takes."""

import pytest

from lib_accelerator.families import (
    BASE_VARIANTS,
    CHROMA,
    FAMILIES,
    FLUX2,
    PRECISIONS,
    QWEN_IMAGE,
    WAN22,
    Z_IMAGE,
    LoadedModel,
    base_variant_label,
    precision_from_dtype,
    precision_from_name,
    qwen_base_from_name,
)


def test_new_families_and_their_base_variants():
    assert {QWEN_IMAGE, WAN22, Z_IMAGE, FLUX2, CHROMA} <= set(FAMILIES)
    assert list(BASE_VARIANTS[QWEN_IMAGE]) == ["original", "edit", "edit-2509", "edit-2511"]
    assert list(BASE_VARIANTS[WAN22]) == ["t2v-a14b", "i2v-a14b"]
    assert set(BASE_VARIANTS[Z_IMAGE]) == {"base", "turbo"} and set(BASE_VARIANTS[FLUX2]) == {"dev", "klein"}
    assert CHROMA not in BASE_VARIANTS
    assert set(PRECISIONS) == {"bf16", "fp16", "fp32", "fp8", "fp8_scaled", "gguf", "nunchaku"}


def test_loaded_model_labels():
    assert LoadedModel(QWEN_IMAGE, "edit-2509").base_label == "Qwen-Image-Edit-2509"
    assert LoadedModel(QWEN_IMAGE).base_label == "Qwen-Image"
    assert LoadedModel(None).base_label == "an unknown model family"
    assert base_variant_label(FLUX2, "klein") == "FLUX.2 [klein]"


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("qwen_image_fp8_e4m3fn.safetensors", "original"),
        ("Qwen-Image-Edit-Q4_K_M.gguf", "edit"),
        ("qwen_image_edit_2509_fp8_e4m3fn_scaled.safetensors", "edit-2509"),
        ("Qwen-Image-Edit-2511-bf16.safetensors", "edit-2511"),
    ],
)
def test_qwen_base_variant_from_the_checkpoint_name(name, base):
    assert qwen_base_from_name(name) == base


@pytest.mark.parametrize(
    ("name", "precision"),
    [
        ("qwen_image_fp8_e4m3fn.safetensors", "fp8"),
        ("qwen_image_fp8_e4m3fn_scaled.safetensors", "fp8_scaled"),
        ("Qwen-Image-Edit-Q4_K_M.gguf", "gguf"),
        ("svdq-int4_r32-z-image-turbo.safetensors", "nunchaku"),
        ("wan2.2_t2v_high_noise_14B_fp16.safetensors", "fp16"),
        ("z_image_turbo_bf16.safetensors", "bf16"),
        ("flux-2-klein-4b.safetensors", ""),
    ],
)
def test_precision_hint_from_the_checkpoint_name(name, precision):
    assert precision_from_name(name) == precision


@pytest.mark.parametrize(
    ("dtype", "mixed", "nunchaku", "precision"),
    [
        ("torch.float8_e4m3fn", False, False, "fp8"),
        ("torch.float8_e4m3fn", True, False, "fp8_scaled"),
        ("torch.bfloat16", False, True, "nunchaku"),
        ("torch.bfloat16", False, False, "bf16"),
        ("torch.float16", False, False, "fp16"),
        ("gguf", False, False, "gguf"),
        ("nf4", False, False, ""),
    ],
)
def test_precision_from_forge_neos_model(dtype, mixed, nunchaku, precision):
    assert precision_from_dtype(dtype, mixed_ops=mixed, nunchaku=nunchaku) == precision
