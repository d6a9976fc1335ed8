import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from lib_accelerator.families import SD15, SDXL
from lib_accelerator.lora.inspection import (
    HOST_A1111,
    HOST_FORGE,
    KeyFormat,
    LoraConversionError,
    convert_to_kohya,
    detect_family,
    detect_key_format,
    inspect_lora,
    kohya_name,
    read_header,
    rename_keys,
)
from tests.unit.lora_samples import (
    LAYOUTS,
    Layer,
    flux_layers,
    lora_tensors,
    sd2_layers,
    sd15_full_layers,
    sd15_layers,
    sdxl_compvis_kohya,
    sdxl_layers,
    write_lora,
    write_tensors,
)

ATTN = "down_blocks.0.attentions.0.transformer_blocks.0"


def _safetensors_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _kohya_twin(layers: list[Layer], drop_alpha: bool = True) -> dict[str, np.ndarray]:
    twin = lora_tensors(layers, "kohya")
    return {k: v for k, v in twin.items() if not (drop_alpha and k.endswith(".alpha"))}


@pytest.mark.parametrize("layout", ["diffusers", "peft", "attn_processor"])
def test_harness_layouts_convert_to_exactly_the_kohya_twin(tmp_path: Path, layout: str) -> None:
    src = write_lora(tmp_path / "src.safetensors", sd15_layers(), layout, metadata={"acceptance": layout})
    result = convert_to_kohya(src, tmp_path / "dst.safetensors")
    converted = load_file(str(tmp_path / "dst.safetensors"))
    expected = _kohya_twin(sd15_layers())  # same seed, same matrices; PEFT/diffusers carry no alpha
    assert set(converted) == set(expected)
    for name, array in expected.items():
        assert converted[name].dtype == array.dtype
        assert np.array_equal(converted[name], array), name
    assert (result.kept, result.renamed, result.unmapped, result.added_alphas) == (52, 52, (), 0)
    assert result.source_format in (KeyFormat.PEFT, KeyFormat.DIFFUSERS_DOTTED)
    assert result.family == SD15


def test_exact_names_of_one_harness_layer(tmp_path: Path) -> None:
    assert kohya_name(f"unet.{ATTN}.attn1.to_out.0.lora.down.weight") == (
        f"lora_unet_{ATTN.replace('.', '_')}_attn1_to_out_0.lora_down.weight"
    )
    assert kohya_name("unet.down_blocks.0.attentions.0.proj_in.lora.down.weight") == (
        "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"
    )
    assert kohya_name(f"unet.{ATTN}.attn2.processor.to_out_lora.up.weight") == (
        f"lora_unet_{ATTN.replace('.', '_')}_attn2_to_out_0.lora_up.weight"
    )
    assert kohya_name("text_encoder.text_model.encoder.layers.0.self_attn.to_k_lora.down.weight") == (
        "lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight"
    )
    assert kohya_name("text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_B.weight", sdxl=True) == (
        "lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight"
    )
    assert kohya_name("lora_unet_mid_block_attentions_0_proj_out.lora_A.weight") == (
        "lora_unet_mid_block_attentions_0_proj_out.lora_down.weight"
    )
    assert kohya_name("diffusion_model.input_blocks.4.1.proj_in.lora_down.weight") == (
        "lora_unet_input_blocks_4_1_proj_in.lora_down.weight"
    )
    assert kohya_name(f"unet.{ATTN}.attn1.to_q.alpha") == f"lora_unet_{ATTN.replace('.', '_')}_attn1_to_q.alpha"
    assert kohya_name("transformer.transformer_blocks.0.attn.to_q.lora_A.weight") is None
    assert kohya_name(f"unet.{ATTN}.attn1.to_q.lora_magnitude_vector") is None


@pytest.mark.parametrize("layers", [sd15_full_layers, sd2_layers, sdxl_layers])
@pytest.mark.parametrize("layout", [layout for layout in LAYOUTS if layout != "peft_bare"])
def test_every_family_and_layout_converts_losslessly(
    tmp_path: Path, layers: Callable[[], list[Layer]], layout: str
) -> None:
    src = write_lora(tmp_path / "src.safetensors", layers(), layout)
    convert_to_kohya(src, tmp_path / "dst.safetensors")
    before, after = load_file(str(src)), load_file(str(tmp_path / "dst.safetensors"))
    expected = _kohya_twin(layers(), drop_alpha=layout != "kohya")
    assert set(after) == set(expected)
    assert sorted(v.tobytes() for v in after.values()) == sorted(v.tobytes() for v in before.values())
    header = read_header(tmp_path / "dst.safetensors")
    assert detect_key_format(header) is KeyFormat.KOHYA
    assert detect_family(header).family == detect_family(read_header(src)).family


def test_sdxl_text_encoders_become_te1_and_te2(tmp_path: Path) -> None:
    src = write_lora(tmp_path / "src.safetensors", sdxl_layers(), "peft")
    convert_to_kohya(src, tmp_path / "dst.safetensors")
    names = read_header(tmp_path / "dst.safetensors").names
    assert "lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight" in names
    assert "lora_te2_text_model_encoder_layers_31_self_attn_v_proj.lora_up.weight" in names
    assert not any(name.startswith("lora_te_") for name in names)


def test_a_kohya_file_is_copied_unchanged(tmp_path: Path) -> None:
    src = write_tensors(tmp_path / "src.safetensors", sdxl_compvis_kohya(), {"ss_output_name": "x"})
    result = convert_to_kohya(src, tmp_path / "dst.safetensors")
    before, after = load_file(str(src)), load_file(str(tmp_path / "dst.safetensors"))
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert (result.renamed, result.source_format) == (0, KeyFormat.KOHYA)


def test_metadata_is_kept_and_the_origin_noted(tmp_path: Path) -> None:
    src = write_lora(tmp_path / "Hyper.safetensors", sd15_layers(), "peft", metadata={"ss_output_name": "hyper"})
    convert_to_kohya(src, tmp_path / "dst.safetensors")
    metadata = read_header(tmp_path / "dst.safetensors").metadata
    assert metadata["ss_output_name"] == "hyper"
    assert metadata["accelerator_converted_from"] == "peft: Hyper.safetensors"


def test_conversion_in_place(tmp_path: Path) -> None:
    path = write_lora(tmp_path / "x.safetensors", sd15_layers(), "peft")
    before = load_file(str(path))
    convert_to_kohya(path, path)
    assert sorted(v.tobytes() for v in load_file(str(path)).values()) == sorted(v.tobytes() for v in before.values())
    assert _safetensors_files(tmp_path) == ["x.safetensors"]


def test_the_partial_file_is_never_visible_as_a_lora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(Path(src).name)
        assert Path(src).parent == tmp_path
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    src = write_lora(tmp_path / "src.safetensors", sd15_layers(), "peft")
    convert_to_kohya(src, tmp_path / "dst.safetensors")
    assert len(seen) == 1
    assert not seen[0].endswith(".safetensors")
    assert _safetensors_files(tmp_path) == ["dst.safetensors", "src.safetensors"]


def test_nothing_mappable_fails_clearly_and_leaves_nothing_behind(tmp_path: Path) -> None:
    src = write_lora(tmp_path / "flux.safetensors", flux_layers(), "peft")
    with pytest.raises(LoraConversionError) as info:
        convert_to_kohya(src, tmp_path / "dst.safetensors")
    message = str(info.value)
    assert str(src) in message
    assert "no key could be converted to kohya form" in message
    assert "flux_transformer" in message
    assert _safetensors_files(tmp_path) == ["flux.safetensors"]


def test_a_failed_write_removes_the_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: str, dst: str) -> None:
        raise PermissionError(f"cannot replace {dst}")

    monkeypatch.setattr(os, "replace", refuse)
    src = write_lora(tmp_path / "src.safetensors", sd15_layers(), "peft")
    with pytest.raises(PermissionError):
        convert_to_kohya(src, tmp_path / "dst.safetensors")
    assert _safetensors_files(tmp_path) == ["src.safetensors"]


def test_unpaired_duplicate_and_foreign_keys_are_left_out_and_reported(tmp_path: Path) -> None:
    tensors = lora_tensors(sd15_layers()[:2], "peft")
    tensors[f"unet.{ATTN}.attn2.to_q.lora_A.weight"] = np.zeros((4, 320), np.float16)  # no lora_B
    tensors[f"unet.{ATTN}.attn1.to_q.lora.down.weight"] = np.zeros((4, 320), np.float16)  # twin of a PEFT key
    tensors["vae.decoder.conv_in.lora_A.weight"] = np.zeros((4, 4), np.float16)
    result = convert_to_kohya(write_tensors(tmp_path / "src.safetensors", tensors), tmp_path / "dst.safetensors")
    assert result.kept == 4
    twins = {f"unet.{ATTN}.attn1.to_q.lora.down.weight", f"unet.{ATTN}.attn1.to_q.lora_A.weight"}
    unmapped = set(result.unmapped)
    assert unmapped - twins == {"vae.decoder.conv_in.lora_A.weight", f"unet.{ATTN}.attn2.to_q.lora_A.weight"}
    assert len(unmapped & twins) == 1  # the first in header order wins
    assert any("no kohya spelling" in note for note in result.notes)
    assert any("another key already converts to" in note for note in result.notes)
    assert any("attn2_to_q: has down but not both down and up" in note for note in result.notes)
    assert len(load_file(str(tmp_path / "dst.safetensors"))) == 4


def test_an_alpha_without_weights_is_dropped() -> None:
    # A1111 raises "Could not find a module type" for such a module and then loads nothing of the file.
    names = rename_keys(["lora_unet_conv_in.alpha", "lora_unet_conv_out.hada_w1_a", "lora_unet_conv_out.alpha"], False)
    assert set(names.mapping) == {"lora_unet_conv_out.hada_w1_a", "lora_unet_conv_out.alpha"}
    assert names.unmapped == ("lora_unet_conv_in.alpha",)


def _adapter_metadata(**config: object) -> dict[str, str]:
    return {"lora_adapter_metadata": json.dumps(config)}


@pytest.mark.parametrize(
    ("config", "alpha"),
    [
        ({"unet.r": 4, "unet.lora_alpha": 8}, 8.0),  # scale 2
        ({"r": 4, "lora_alpha": 2}, 2.0),  # unprefixed config, scale 0.5
        ({"unet.r": 4, "unet.lora_alpha": 8, "unet.use_rslora": True}, 8.0 * 2),  # scale 8 / sqrt(4)
        ({"unet.r": 4, "unet.lora_alpha": 4, "unet.alpha_pattern": {"attn1.to_q": 16}}, 16.0),
    ],
)
def test_peft_scale_other_than_one_becomes_an_alpha(tmp_path: Path, config: dict[str, object], alpha: float) -> None:
    layers = [layer for layer in sd15_layers() if layer.path.endswith("attn1.to_q")]
    src = write_lora(tmp_path / "src.safetensors", layers, "peft", metadata=_adapter_metadata(**config))
    result = convert_to_kohya(src, tmp_path / "dst.safetensors")
    converted = load_file(str(tmp_path / "dst.safetensors"))
    alphas = {k: float(v) for k, v in converted.items() if k.endswith(".alpha")}
    assert alphas == {f"lora_unet_{layer.path.replace('.', '_')}.alpha": alpha for layer in layers}
    assert result.added_alphas == len(layers)
    assert all(converted[k].dtype == np.float32 and converted[k].shape == () for k in alphas)


def test_peft_scale_of_one_writes_no_alpha(tmp_path: Path) -> None:
    metadata = _adapter_metadata(
        **{"unet.r": 4, "unet.lora_alpha": 4, "text_encoder.r": 4, "text_encoder.lora_alpha": 4}
    )
    src = write_lora(tmp_path / "src.safetensors", sd15_layers(), "peft", metadata=metadata)
    assert convert_to_kohya(src, tmp_path / "dst.safetensors").added_alphas == 0


def test_broken_adapter_metadata_is_reported(tmp_path: Path) -> None:
    src = write_lora(tmp_path / "src.safetensors", sd15_layers(), "peft", metadata={"lora_adapter_metadata": "{"})
    with pytest.raises(LoraConversionError, match="lora_adapter_metadata is not JSON"):
        convert_to_kohya(src, tmp_path / "dst.safetensors")


def test_inspect_lora_sums_it_up(tmp_path: Path) -> None:
    info = inspect_lora(write_lora(tmp_path / "x.safetensors", sdxl_layers(), "diffusers", rank=8))
    assert info.keys.key_format is KeyFormat.DIFFUSERS_DOTTED
    assert info.family.family == SDXL
    assert info.needs_conversion(HOST_A1111) and info.needs_conversion(HOST_FORGE)
    assert info.mismatch_message(SDXL) is None
    message = info.mismatch_message(SD15)
    assert message is not None and "for SDXL, but the loaded model is SD 1.5" in message


def test_a_family_hint_settles_a_text_encoder_only_file(tmp_path: Path) -> None:
    te = [layer for layer in sd15_layers() if layer.part == "te"]
    src = write_lora(tmp_path / "src.safetensors", te, "peft")
    assert convert_to_kohya(src, tmp_path / "sd15.safetensors").family is None
    assert read_header(tmp_path / "sd15.safetensors").names[0].startswith("lora_te_")
    assert convert_to_kohya(src, tmp_path / "sdxl.safetensors", family=SDXL).family == SDXL
    assert all(name.startswith("lora_te1_") for name in read_header(tmp_path / "sdxl.safetensors").names)
