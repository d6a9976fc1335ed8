"""LoRAs in key layouts the WebUI silently ignores change the image only after Accelerator converts them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.e2e import host_names
from tests.e2e.conftest import WebUI, accelerate, image_pixels, params


@pytest.fixture(scope="module")
def layouts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = manifest.get("layouts", [])
    if not found:
        pytest.skip("the manifest has no layout fixtures")
    return found


@pytest.mark.parametrize("index", [0, 1], ids=["diffusers", "peft"])
def test_converted_file_changes_the_image_where_the_original_does_not(
    webui: WebUI, layouts: list[dict[str, Any]], index: int
) -> None:
    variant = layouts[index]
    stem = variant["file"]["save_as"].removesuffix(".safetensors")
    settings = {"steps": variant["steps"], "cfg_scale": variant["cfg"], "sampler_name": "LCM", "scheduler": "Simple"}
    accelerated = webui.generate(alwayson_scripts=accelerate(variant=variant["id"]))
    found = params(accelerated)
    assert host_names.lora_named(found, f"{stem}-kohya"), found
    assert accelerated["info"]["all_prompts"][0].endswith(f"<lora:{stem}-kohya:1>")
    # The WebUI strips a tag and keeps the space before it: the reference prompt keeps it too.
    plain = webui.generate(prompt="a red cube on a table ", **settings)
    # The same original file, typed by hand: the WebUI accepts the tag, writes its hash, and skips its keys.
    by_hand = webui.generate(prompt=f"a red cube on a table <lora:{stem}:1>", **settings)
    # A1111's Lora extension writes its hash all the same; SD.Next names only a network that matched some keys.
    assert host_names.lora_named(params(by_hand), stem) != (host_names.HOST == "sdnext")
    ignored = np.abs(image_pixels(by_hand) - image_pixels(plain))
    applied = np.abs(image_pixels(accelerated) - image_pixels(plain))
    # Loading a LoRA that matches nothing still sends the model through the LoRA code path, which can move
    # a pixel by a step or two; a LoRA that is applied moves the image far more.
    print(f"{variant['id']}: unconverted max {ignored.max()} mean {ignored.mean():.3f}; "
          f"converted max {applied.max()} mean {applied.mean():.3f}")  # fmt: skip
    assert ignored.mean() < 0.5 and applied.mean() > 10 * max(ignored.mean(), 0.05)
