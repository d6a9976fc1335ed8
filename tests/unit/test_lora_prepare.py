import os

import pytest
from safetensors.numpy import load_file

from lib_accelerator.lora import prepare as lora_prepare
from tests.support.loras import make_lora


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
