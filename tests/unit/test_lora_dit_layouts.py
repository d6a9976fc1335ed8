"""Qwen-Image and Wan 2.2 LoRA layouts: recognised by key names and widths, never renamed to kohya form.

Key shapes as the authors' loaders name them: Qwen-Image-Lightning `transformer_blocks.N.<module>.lora_down /
lora_up / alpha`, bare or under `diffusion_model.` (ModelTC generate_with_diffusers.py); lightx2v Wan 2.2
`diffusion_model.blocks.N.self_attn.q.lora_down...`, rank 64, alpha 8 (InvokeAI's Wan LoRA tests).
"""

from pathlib import Path

import numpy as np
import pytest

from lib_accelerator.families import FLUX, QWEN_IMAGE, SDXL, WAN22
from lib_accelerator.lora.inspection import KeyFormat, inspect_lora, needs_conversion
from lib_accelerator.lora.prepare import LoraFamilyError, prepare
from tests.unit.lora_samples import flux_layers, lora_tensors, write_lora, write_tensors

QWEN_MODULES = (
    ("attn.to_q", 3072, 3072),
    ("attn.add_q_proj", 3072, 3072),
    ("attn.to_out.0", 3072, 3072),
    ("img_mlp.net.0.proj", 3072, 12288),
    ("txt_mlp.net.2", 12288, 3072),
)
WAN_MODULES = (("self_attn.q", 5120, 5120), ("cross_attn.k", 5120, 5120), ("ffn.0", 5120, 13824))


def _kohya_suffix_lora(prefix: str, modules, rank: int, blocks: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    tensors: dict[str, np.ndarray] = {}
    for block in range(blocks):
        for module, fin, fout in modules:
            name = f"{prefix}{block}.{module}"
            tensors[f"{name}.lora_down.weight"] = rng.standard_normal((rank, fin)).astype(np.float16)
            tensors[f"{name}.lora_up.weight"] = rng.standard_normal((fout, rank)).astype(np.float16)
            tensors[f"{name}.alpha"] = np.array(8.0, dtype=np.float32)
    return tensors


@pytest.fixture
def qwen_bare(tmp_path: Path) -> Path:
    return write_tensors(tmp_path / "qwen_bare.safetensors", _kohya_suffix_lora("transformer_blocks.", QWEN_MODULES, 8))


@pytest.fixture
def qwen_prefixed(tmp_path: Path) -> Path:
    tensors = _kohya_suffix_lora("diffusion_model.transformer_blocks.", QWEN_MODULES, 8)
    return write_tensors(tmp_path / "qwen_prefixed.safetensors", tensors)


@pytest.fixture
def wan(tmp_path: Path) -> Path:
    tensors = _kohya_suffix_lora("diffusion_model.blocks.", WAN_MODULES, 64)
    return write_tensors(tmp_path / "wan_high_noise.safetensors", tensors)


@pytest.mark.parametrize("name", ["qwen_bare", "qwen_prefixed"])
def test_qwen_lightning_layout_is_qwen_image_not_flux(name, request):
    found = inspect_lora(request.getfixturevalue(name))
    assert found.family.family == QWEN_IMAGE, found.family.evidence
    assert found.keys.key_format in (KeyFormat.FLUX_TRANSFORMER, KeyFormat.NATIVE_DIT)
    assert not found.needs_conversion("a1111") and not found.needs_conversion("forge")
    assert found.mismatch_message(QWEN_IMAGE) is None


def test_wan_layout_is_wan22_and_native(wan):
    found = inspect_lora(wan)
    assert found.keys.key_format is KeyFormat.NATIVE_DIT
    assert found.family.family == WAN22, found.family.evidence
    assert not needs_conversion(KeyFormat.NATIVE_DIT, "a1111")


def test_flux_files_stay_flux(tmp_path):
    found = inspect_lora(write_lora(tmp_path / "flux.safetensors", flux_layers(), "peft"))
    assert found.family.family == FLUX


def test_prepare_uses_qwen_and_wan_files_as_they_are(qwen_prefixed, wan):
    for path, family in ((qwen_prefixed, QWEN_IMAGE), (wan, WAN22)):
        prepared = prepare(path, host="forge", model_family=family, preset_family=family)
        assert prepared.path == path and not prepared.converted
    assert not list(wan.parent.glob("*-kohya.safetensors"))


def test_a_wan_file_on_an_sdxl_model_is_refused(wan):
    with pytest.raises(LoraFamilyError, match="Wan 2.2"):
        prepare(wan, host="forge", model_family=SDXL, preset_family=SDXL)


def test_compvis_sd_keys_are_still_converted_for_a1111(tmp_path):
    tensors = lora_tensors(flux_layers(), "kohya")  # any tensors; only the names below matter
    down = next(iter(tensors.values()))
    path = write_tensors(
        tmp_path / "compvis.safetensors",
        {"diffusion_model.input_blocks.1.1.proj_in.lora_down.weight": down},
    )
    found = inspect_lora(path)
    assert found.keys.key_format is KeyFormat.COMPVIS_DOTTED and found.needs_conversion("a1111")
