from pathlib import Path

import pytest

from lib_accelerator.lora.header import read_header
from lib_accelerator.lora.keys import (
    HOST_A1111,
    HOST_FORGE,
    KeyFormat,
    classify_keys,
    detect_key_format,
    needs_conversion,
    parse_key,
)
from tests.unit.lora_samples import (
    flux_bfl_kohya,
    flux_layers,
    lora_tensors,
    sd15_layers,
    sdxl_compvis_kohya,
    write_lora,
    write_tensors,
)

UNET = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"


@pytest.mark.parametrize(
    ("key", "pattern", "key_format", "component", "module", "role"),
    [
        (f"lora_unet_{UNET.replace('.', '_')}.lora_down.weight", "kohya", KeyFormat.KOHYA, "unet",
         f"lora_unet_{UNET.replace('.', '_')}", "down"),
        ("lora_te1_text_model_encoder_layers_0_mlp_fc1.alpha", "kohya", KeyFormat.KOHYA, "te1",
         "lora_te1_text_model_encoder_layers_0_mlp_fc1", "alpha"),
        ("lora_unet_input_blocks_4_1_proj_in.hada_w1_a", "kohya", KeyFormat.KOHYA, "unet",
         "lora_unet_input_blocks_4_1_proj_in", "other"),
        ("lora_unet_mid_block_attentions_0_proj_out.lora_A.weight", "kohya_lora_ab", KeyFormat.PEFT, "unet",
         "lora_unet_mid_block_attentions_0_proj_out", "down"),
        (f"unet.{UNET}.lora.up.weight", "diffusers_lora", KeyFormat.DIFFUSERS_DOTTED, "unet", UNET, "up"),
        ("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q_lora.down.weight",
         "diffusers_attn_processor", KeyFormat.DIFFUSERS_DOTTED, "unet",
         "down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q", "down"),
        ("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer.down.weight",
         "diffusers_lora_linear_layer", KeyFormat.DIFFUSERS_DOTTED, "te",
         "text_model.encoder.layers.0.self_attn.q_proj", "down"),
        (f"unet.{UNET}.lora_A.weight", "peft", KeyFormat.PEFT, "unet", UNET, "down"),
        (f"unet.{UNET}.lora_B.default.weight", "peft", KeyFormat.PEFT, "unet", UNET, "up"),
        (f"base_model.model.{UNET}.lora_B.weight", "peft", KeyFormat.PEFT, "unet", UNET, "up"),
        (f"{UNET}.lora_A.weight", "peft", KeyFormat.PEFT, "unet", UNET, "down"),
        ("text_encoder_2.text_model.encoder.layers.3.mlp.fc2.lora_A.weight", "peft", KeyFormat.PEFT, "te2",
         "text_model.encoder.layers.3.mlp.fc2", "down"),
        ("base_model.model.text_model.encoder.layers.3.mlp.fc2.lora_A.weight", "peft", KeyFormat.PEFT, "te",
         "text_model.encoder.layers.3.mlp.fc2", "down"),
        (f"unet.{UNET}.alpha", "dotted_alpha", None, "unet", UNET, "alpha"),
        ("transformer.single_transformer_blocks.0.attn.to_k.lora_B.weight", "peft", KeyFormat.FLUX_TRANSFORMER,
         "transformer", "single_transformer_blocks.0.attn.to_k", "up"),
        ("lora_transformer_single_transformer_blocks_0_proj_out.lora_up.weight", "kohya",
         KeyFormat.FLUX_TRANSFORMER, "transformer", "lora_transformer_single_transformer_blocks_0_proj_out", "up"),
        ("diffusion_model.input_blocks.4.1.proj_in.lora_down.weight", "dotted_kohya_suffix",
         KeyFormat.COMPVIS_DOTTED, "compvis", "input_blocks.4.1.proj_in", "down"),
        ("some.random.weight", "unknown", KeyFormat.UNKNOWN, "", "some.random.weight", "other"),
        ("vae.decoder.conv_in.lora_A.weight", "peft", KeyFormat.UNKNOWN, "", "vae.decoder.conv_in", "down"),
    ],
)  # fmt: skip
def test_parse_key(
    key: str, pattern: str, key_format: KeyFormat | None, component: str, module: str, role: str
) -> None:
    parsed = parse_key(key)
    assert (parsed.pattern, parsed.key_format, parsed.component, parsed.module, parsed.role) == (
        pattern, key_format, component, module, role,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("kohya", KeyFormat.KOHYA),
        ("diffusers", KeyFormat.DIFFUSERS_DOTTED),
        ("attn_processor", KeyFormat.DIFFUSERS_DOTTED),
        ("peft", KeyFormat.PEFT),
        ("peft_bare", KeyFormat.PEFT),
    ],
)
def test_every_harness_layout_is_recognised_from_the_file(tmp_path: Path, layout: str, expected: KeyFormat) -> None:
    path = write_lora(tmp_path / f"{layout}.safetensors", sd15_layers(), layout)
    header = read_header(path)
    assert detect_key_format(header) is expected
    report = classify_keys(header.names)
    assert report.unknown_keys == ()
    assert not report.is_mixed
    assert sum(report.patterns.values()) == len(header.names)


def test_kohya_files_with_compvis_or_flux_block_names_are_kohya(tmp_path: Path) -> None:
    for name, tensors in (("sdxl", sdxl_compvis_kohya()), ("flux", flux_bfl_kohya())):
        header = read_header(write_tensors(tmp_path / f"{name}.safetensors", tensors))
        assert detect_key_format(header) is KeyFormat.KOHYA


def test_flux_diffusers_keys_are_flux_transformer(tmp_path: Path) -> None:
    header = read_header(write_lora(tmp_path / "flux.safetensors", flux_layers(), "peft"))
    assert detect_key_format(header) is KeyFormat.FLUX_TRANSFORMER


def test_a_mixed_file_is_reported_with_counts_and_the_convertible_layout_wins() -> None:
    names = list(lora_tensors(sd15_layers(), "kohya")) + list(lora_tensors(sd15_layers()[:2], "peft"))
    report = classify_keys([*names, "optimizer.state"])
    assert report.key_format is KeyFormat.PEFT  # 4 PEFT keys among 78 kohya ones still make the file need work
    assert report.is_mixed
    assert report.formats[KeyFormat.KOHYA] == 78
    assert report.formats[KeyFormat.PEFT] == 4
    assert report.unknown_keys == ("optimizer.state",)
    assert report.describe() == "peft (kohya: 78, peft: 4, unknown: 1)"


def test_a_file_without_lora_keys_is_unknown() -> None:
    report = classify_keys(["model.diffusion_model.input_blocks.0.0.weight", "first_stage_model.encoder.bias"])
    assert report.key_format is KeyFormat.UNKNOWN
    assert len(report.unknown_keys) == 2
    assert classify_keys([]).key_format is KeyFormat.UNKNOWN


@pytest.mark.parametrize(
    ("key_format", "a1111", "forge"),
    [
        (KeyFormat.KOHYA, False, False),
        (KeyFormat.DIFFUSERS_DOTTED, True, True),
        (KeyFormat.PEFT, True, True),
        (KeyFormat.COMPVIS_DOTTED, True, False),
        (KeyFormat.FLUX_TRANSFORMER, False, False),
        (KeyFormat.UNKNOWN, False, False),
    ],
)
def test_needs_conversion(key_format: KeyFormat, a1111: bool, forge: bool) -> None:
    assert needs_conversion(key_format, HOST_A1111) is a1111
    assert needs_conversion(key_format, HOST_FORGE) is forge
    assert needs_conversion(key_format, "Forge") is forge
    # A host we do not know gets the strict rules: kohya names load everywhere.
    assert needs_conversion(key_format, "reforge") is a1111
