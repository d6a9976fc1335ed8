from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lib_accelerator.families import FLUX, SD2, SD3, SD15, SDXL
from lib_accelerator.lora.family import detect_family, family_mismatch_message
from lib_accelerator.lora.header import read_header
from tests.unit.lora_samples import (
    LAYOUTS,
    Layer,
    flux_bfl_kohya,
    flux_layers,
    lora_tensors,
    sd2_layers,
    sd3_layers,
    sd15_full_layers,
    sd15_layers,
    sdxl_compvis_kohya,
    sdxl_layers,
    write_lora,
    write_tensors,
)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    ("layers", "family"),
    [(sd15_layers, SD15), (sd15_full_layers, SD15), (sd2_layers, SD2), (sdxl_layers, SDXL)],
)
def test_unet_families_in_every_layout(
    tmp_path: Path, layout: str, layers: Callable[[], list[Layer]], family: str
) -> None:
    chosen = layers()
    if layout == "peft_bare":
        # base_model.model. names one model; a file for two text encoders cannot use it.
        chosen = [layer for layer in chosen if layer.part == "unet"]
    guess = detect_family(read_header(write_lora(tmp_path / "x.safetensors", chosen, layout)))
    assert guess.family == family, guess.evidence
    assert "context dim" in guess.reason


def test_sdxl_kohya_with_compvis_names(tmp_path: Path) -> None:
    guess = detect_family(read_header(write_tensors(tmp_path / "x.safetensors", sdxl_compvis_kohya())))
    assert guess.family == SDXL
    assert guess.reason == "SDXL: cross-attention context dim 2048 (attn2 to_k/to_v input) [1 key]"
    assert any("second text encoder hidden size 1280" in line for line in guess.evidence)


@pytest.mark.parametrize(
    ("tensors", "family", "clue"),
    [
        (lambda: lora_tensors(flux_layers(), "peft"), FLUX, "transformer hidden size 3072"),
        (lambda: lora_tensors(flux_layers(), "kohya"), FLUX, "transformer hidden size 3072"),
        (flux_bfl_kohya, FLUX, "transformer hidden size 3072"),
        (lambda: lora_tensors(sd3_layers(), "peft"), SD3, "transformer hidden size 1536"),
    ],
)
def test_transformer_families(
    tmp_path: Path, tensors: Callable[[], dict[str, np.ndarray]], family: str, clue: str
) -> None:
    guess = detect_family(read_header(write_tensors(tmp_path / "x.safetensors", tensors())))
    assert guess.family == family, guess.evidence
    assert clue in guess.reason


def test_the_second_text_encoder_alone_says_sdxl(tmp_path: Path) -> None:
    te2 = [layer for layer in sdxl_layers() if layer.part == "te2"]
    guess = detect_family(read_header(write_lora(tmp_path / "x.safetensors", te2, "peft")))
    assert guess.family == SDXL


def test_a_clip_l_text_encoder_alone_is_ambiguous(tmp_path: Path) -> None:
    te = [layer for layer in sd15_layers() if layer.part == "te"]
    guess = detect_family(read_header(write_lora(tmp_path / "x.safetensors", te, "kohya")))
    assert guess.family is None
    assert guess.reason == "unsure: could be SD 1.5 or SDXL"


def test_shapes_beat_metadata_that_claims_another_family(tmp_path: Path) -> None:
    # Catalogues have shipped the SD1.5 file under the SDXL name; copied metadata must not hide that.
    metadata = {"ss_base_model_version": "sdxl_base_v1-0", "modelspec.architecture": "stable-diffusion-xl-v1-base/lora"}
    path = write_lora(tmp_path / "x.safetensors", sd15_layers(), "kohya", metadata=metadata)
    guess = detect_family(read_header(path))
    assert guess.family == SD15
    assert "SDXL: metadata ss_base_model_version='sdxl_base_v1-0'" in guess.evidence


@pytest.mark.parametrize(
    ("metadata", "family"),
    [
        ({"ss_base_model_version": "sd_v1"}, SD15),
        ({"ss_base_model_version": "sd_v2_768_v"}, SD2),
        ({"ss_v2": "True"}, SD2),
        ({"modelspec.architecture": "flux-1-dev/lora"}, FLUX),
        ({"modelspec.architecture": "stable-diffusion-v3-medium/lora"}, SD3),
    ],
)
def test_metadata_decides_when_the_keys_say_nothing(tmp_path: Path, metadata: dict[str, str], family: str) -> None:
    path = write_tensors(tmp_path / "x.safetensors", {"w": np.zeros(1, np.float16)}, metadata)
    assert detect_family(read_header(path)).family == family


def test_no_clue_at_all(tmp_path: Path) -> None:
    guess = detect_family(read_header(write_tensors(tmp_path / "x.safetensors", {"w": np.zeros(1, np.float16)})))
    assert guess.family is None
    assert guess.reason.startswith("unsure: no key name")
    assert guess.evidence == ()


def test_a_file_merging_two_families_is_refused_as_contradictory(tmp_path: Path) -> None:
    tensors = {**lora_tensors(sd15_layers(), "kohya"), **lora_tensors(sdxl_layers()[:8], "peft")}
    guess = detect_family(read_header(write_tensors(tmp_path / "x.safetensors", tensors)))
    assert guess.family is None
    assert guess.reason.startswith("unsure: contradictory clues")


def test_sd1_block_layout_without_shapes_is_sd1_or_sd2(tmp_path: Path) -> None:
    layer = Layer("unet", "down_blocks.3.resnets.0.conv1", 1280, 1280)  # SDXL has no down_blocks.3
    guess = detect_family(read_header(write_lora(tmp_path / "x.safetensors", [layer], "kohya")))
    assert guess.family is None
    assert guess.reason == "unsure: could be SD 1.5 or SD 2.x"


def test_mismatch_message_names_both_families(tmp_path: Path) -> None:
    guess = detect_family(read_header(write_lora(tmp_path / "x.safetensors", sd15_layers(), "kohya")))
    message = family_mismatch_message(guess, SDXL)
    assert message is not None
    assert "This LoRA is for SD 1.5, but the loaded model is SDXL" in message
    assert "context dim 768" in message
    assert family_mismatch_message(guess, SD15) is None
    assert family_mismatch_message(guess, None) is None


def test_no_mismatch_is_claimed_when_unsure(tmp_path: Path) -> None:
    guess = detect_family(read_header(write_tensors(tmp_path / "x.safetensors", {"w": np.zeros(1, np.float16)})))
    assert family_mismatch_message(guess, SDXL) is None
    assert guess.label == "an unknown model family"


def test_flux_lora_with_a_clip_l_text_encoder_is_still_flux(tmp_path: Path) -> None:
    # kohya's FLUX trainer adds lora_te1_ keys for CLIP-L (width 768), the width of SD 1.5's encoder.
    te = [layer for layer in sd15_layers() if layer.part == "te"]
    tensors = {**flux_bfl_kohya(), **lora_tensors(te, "kohya")}
    guess = detect_family(read_header(write_tensors(tmp_path / "x.safetensors", tensors)))
    assert guess.family == FLUX, guess.evidence
