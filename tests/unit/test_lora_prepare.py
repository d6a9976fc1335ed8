import os

import numpy as np
import pytest
from safetensors.numpy import load_file

from lib_accelerator.lora import prepare as lora_prepare
from tests.support.loras import make_lora, write_tensors


@pytest.mark.parametrize("layout", ["diffusers", "peft"])
def test_ignored_layout_is_converted_once_and_reused(tmp_path, layout):
    source = make_lora(tmp_path / "fast.safetensors", "sd15", layout, seed=3)
    first = lora_prepare.prepare(source, host="a1111", model_family="sd15", preset_family="sd15")
    assert first.converted and first.created and first.path.name == "fast-kohya.safetensors"
    assert layout in first.note and "would ignore" in first.note
    converted = load_file(str(first.path))
    assert all(k.startswith("lora_unet_") for k in converted)
    assert len(converted) == len(load_file(str(source)))
    again = lora_prepare.prepare(source, host="a1111", model_family="sd15", preset_family="sd15")
    assert again.path == first.path and not again.created
    assert first.left_out == again.left_out == () and "left out" not in first.note


def test_keys_left_out_of_the_converted_copy_are_named_in_the_note(tmp_path):
    """The conversion's notes (why keys were dropped) reach the console line, also when the copy is reused."""
    source = make_lora(tmp_path / "fast.safetensors", "sd15", "peft", seed=3)
    tensors = load_file(str(source))
    unpaired = "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_q.lora_A.weight"
    assert unpaired not in tensors  # a module of its own, with no lora_B: unusable
    tensors[unpaired] = np.zeros((4, 640), np.float16)
    tensors["vae.decoder.conv_in.lora_A.weight"] = np.zeros((4, 4), np.float16)  # no kohya spelling
    write_tensors(source, tensors)
    first = lora_prepare.prepare(source, host="a1111", model_family="sd15", preset_family="sd15")
    assert first.created and len(first.left_out) == 2
    assert any("no kohya spelling, e.g. vae.decoder.conv_in.lora_A.weight" in n for n in first.left_out)
    assert any("attn2_to_q: has down but not both down and up" in n for n in first.left_out)
    assert "left out of it: " in first.note and all(n in first.note for n in first.left_out)
    again = lora_prepare.prepare(source, host="a1111", model_family="sd15", preset_family="sd15")
    assert not again.created and (again.left_out, again.note) == (first.left_out, first.note)


def test_a_long_list_of_left_out_keys_is_cut_short_in_the_note(tmp_path):
    source = make_lora(tmp_path / "fast.safetensors", "sd15", "peft", seed=3)
    tensors = load_file(str(source))
    # Every lora_B removed: each module has a down matrix only, one note per module.
    unpaired = {k: v for k, v in tensors.items() if "lora_B" not in k}
    unpaired["unet.conv_in.lora_A.weight"] = np.zeros((4, 4, 1, 1), np.float16)
    unpaired["unet.conv_in.lora_B.weight"] = np.zeros((320, 4, 1, 1), np.float16)  # one module still converts
    write_tensors(source, unpaired)
    prepared = lora_prepare.prepare(source, host="a1111", model_family="sd15", preset_family="sd15")
    shown = lora_prepare.NOTES_SHOWN
    assert len(prepared.left_out) > shown
    assert sum(n in prepared.note for n in prepared.left_out) == shown
    assert prepared.note.endswith(f"(and {len(prepared.left_out) - shown} more)")


def test_changed_original_is_converted_again(tmp_path):
    source = make_lora(tmp_path / "fast.safetensors", "sd15", "peft", seed=3)
    first = lora_prepare.prepare(source, host="forge", model_family="sd15", preset_family="sd15")
    make_lora(source, "sd15", "peft", seed=4)
    later = os.stat(first.path).st_mtime_ns + 10_000_000
    os.utime(source, ns=(later, later))
    assert lora_prepare.prepare(source, host="forge", model_family="sd15", preset_family="sd15").created


def test_kohya_file_is_used_as_it_is(tmp_path):
    source = make_lora(tmp_path / "fast.safetensors", "sdxl", "kohya")
    prepared = lora_prepare.prepare(source, host="a1111", model_family="sdxl", preset_family="sdxl")
    assert prepared == lora_prepare.PreparedLora(source)
    assert not (tmp_path / "fast-kohya.safetensors").exists()


def test_lora_of_another_family_is_refused_naming_both(tmp_path):
    source = make_lora(tmp_path / "wrong.safetensors", "sd15", "kohya")
    with pytest.raises(lora_prepare.LoraFamilyError, match=r"wrong\.safetensors.*SD 1\.5.*SDXL"):
        lora_prepare.prepare(source, host="a1111", model_family="sdxl", preset_family="sdxl")


def test_not_a_safetensors_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "page.safetensors"
    bad.write_bytes(b"<html>rate limited</html>" * 10)
    with pytest.raises(lora_prepare.SafetensorsHeaderError, match="page.safetensors"):
        lora_prepare.prepare(bad, host="a1111", model_family="sd15", preset_family="sd15")
