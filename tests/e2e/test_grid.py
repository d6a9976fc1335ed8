"""Comparing recipes: the X/Y/Z plot with Accelerator's axes, and the one-click comparison route."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e import host_names
from tests.e2e.conftest import WebUI, params

SEED = 4321


# The X/Y/Z script's name in the API: A1111, Forge, reForge, Forge Classic; SD.Next (scripts/xyz_grid.py).
GRID_SCRIPTS = ("x/y/z plot", "xyz grid script")


def _grid_script(webui: WebUI) -> dict[str, Any]:
    info = webui.get("/sdapi/v1/script-info")
    return next(s for s in info if s["name"] in GRID_SCRIPTS and not s["is_img2img"])


def _axis_index(grid: dict[str, Any], label: str) -> int:
    choices = grid["args"][0]["choices"]
    assert label in choices, f"{label!r} is not an X/Y/Z axis: {choices}"
    return int(choices.index(label))


# The grid's own options, by the label of its control: the hosts' scripts take different ones in different
# orders (reForge adds "Draw individual labels", "Skip final grid generation", "Items per grid" after the legend).
# SD.Next calls two of them "Include images" and "Use text inputs".
GRID_OPTIONS = {
    "Draw legend": True,
    "Include Sub Images": True,
    "Include images": True,
    "Use text inputs instead of dropdowns": True,
    "Use text inputs": True,
}


def _grid_request(webui: WebUI, methods: str, strengths: str) -> dict[str, Any]:
    grid = _grid_script(webui)
    x = _axis_index(grid, "[Accelerator] Method")
    y = _axis_index(grid, "[Accelerator] Strength")
    nothing = _axis_index(grid, "Nothing")
    script_args = [arg.get("value") for arg in grid["args"]]
    script_args[:9] = [x, methods, [], y, strengths, [], nothing, "", []]  # X, Y, Z: type, text values, dropdown
    for i, arg in enumerate(grid["args"]):
        if arg.get("label") in GRID_OPTIONS:
            script_args[i] = GRID_OPTIONS[arg["label"]]
    payload = {
        "prompt": "a red cube on a table", "seed": SEED, "width": 64, "height": 64, "steps": 3,
        "sampler_name": "Euler a", "cfg_scale": 7, "send_images": True, "save_images": False,
        "script_name": grid["name"], "script_args": script_args,
    }  # fmt: skip
    response = webui.post("/sdapi/v1/txt2img", payload)
    assert response.status_code == 200, response.text[:2000]
    result: dict[str, Any] = response.json()
    result["info"] = json.loads(result["info"])
    return result


def _digest(b64: str) -> str:
    """Of the pixels: each cell's PNG also holds its own infotext, so PNG bytes always differ."""
    return hashlib.sha256(_pixels(b64).tobytes()).hexdigest()


def _pixels(b64: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"), dtype=np.int16)


def _fields(text: str) -> dict[str, str]:
    return params({"info": {"infotexts": [text]}})


def test_method_by_strength_grid_keeps_each_cell_to_its_own_recipe(webui: WebUI, manifest: dict[str, Any]) -> None:
    sd15 = {v["method"]: v for v in manifest["variants"] if v["family"] == "sd15"}
    if not {"e2e_hyper_sd", "e2e_lcm"} <= set(sd15):
        pytest.skip("the fixture lacks the SD1.5 Hyper-SD and LCM variants")
    result = _grid_request(webui, "off, e2e_hyper_sd, e2e_lcm", "0.5, 1")
    cells, texts = result["images"][1:], result["info"]["infotexts"][1:]
    assert len(cells) == 6, f"expected 3 x 2 cells plus the grid, got {len(result['images'])} images"
    found = [_fields(t) for t in texts]
    prompts = [t.split("\n")[0] for t in texts]
    by_cell = {(i % 3, i // 3): (found[i], prompts[i], _digest(cells[i])) for i in range(6)}
    for row, strength in enumerate(("0.5", "1")):
        off, off_prompt, _ = by_cell[(0, row)]
        assert "Accelerator" not in off, texts
        assert host_names.no_lora(off) and "<lora:" not in off_prompt, texts
        for column, method in ((1, "e2e_hyper_sd"), (2, "e2e_lcm")):
            fields, prompt, _ = by_cell[(column, row)]
            variant = sd15[method]
            assert fields["Accelerator"] == variant["id"]
            assert int(fields["Steps"]) == variant["steps"]
            stem = variant["file"]["save_as"].removesuffix(".safetensors")
            assert prompt.count(f"<lora:{stem}:") == 1 and prompt.count("<lora:") == 1
            assert prompt.endswith(f"<lora:{stem}:{strength}>")
            assert fields.get("Accelerator strength") == ("0.5" if strength == "0.5" else None)
    digests = {cell: image for cell, (_, _, image) in by_cell.items()}
    assert len({digests[(c, r)] for c in (1, 2) for r in (0, 1)}) == 4, "different recipes gave equal images"
    plain = webui.generate(seed=SEED)
    pixels = {cell: _pixels(cells[cell[0] + 3 * cell[1]]) for cell in ((0, 0), (0, 1))}
    reference = _pixels(plain["images"][0])
    for cell, image in pixels.items():
        # After an accelerated cell the WebUI's LoRA code path can round a pixel differently; a LoRA left
        # behind would move the whole image.
        difference = np.abs(image - reference)
        print(f"off cell {cell}: max {difference.max()} mean {difference.mean():.4f} against a plain run")
        assert difference.max() <= 2, f"off cell {cell} differs from a plain run with the same seed"


def test_compare_route_runs_off_then_each_method_and_labels_the_seconds(webui: WebUI, manifest: dict[str, Any]) -> None:
    sd15 = {v["method"] for v in manifest["variants"] if v["family"] == "sd15"}
    methods = [m for m in ("e2e_hyper_sd", "e2e_lcm") if m in sd15]
    if len(methods) < 2:
        pytest.skip("the fixture lacks the SD1.5 Hyper-SD and LCM variants")
    listed = webui.get("/accelerator/v1/methods")
    assert listed["family"] == "sd15" and set(methods) <= {m["id"] for m in listed["methods"]}
    settings = {"prompt": "a red cube on a table", "seed": SEED, "width": 64, "height": 64, "steps": 3,
                "sampler_name": "Euler a", "cfg_scale": 7}  # fmt: skip
    response = webui.post("/accelerator/v1/compare", {**settings, "methods": methods})
    assert response.status_code == 200, response.text[:2000]
    result = response.json()
    assert len(result["labels"]) == len(result["infotexts"]) == len(result["seconds"]) == 1 + len(methods)
    assert result["labels"][0].startswith("Off (your settings)\n")
    for text, seconds in zip(result["labels"], result["seconds"], strict=True):
        assert seconds > 0 and text.endswith(f"\n{seconds:.1f} s"), text
    off, *accelerated = [_fields(t) for t in result["infotexts"]]
    assert "Accelerator" not in off and host_names.no_lora(off)
    assert "Accelerator comparison: " in result["info"]
    for method, fields in zip(methods, accelerated, strict=True):
        variant = next(v for v in manifest["variants"] if v["id"] == fields["Accelerator"])
        assert variant["method"] == method and int(fields["Steps"]) == variant["steps"]
        assert f"={variant['id']} (" in result["info"], result["info"]
    from PIL import Image

    grid = Image.open(io.BytesIO(base64.b64decode(result["grid"])))
    assert grid.width >= 64 * (1 + len(methods)) and grid.height > 64, grid.size
    if os.environ.get("ACC_E2E_RECORD"):  # kept beside the records, for the README
        grid.save(Path(os.environ["ACC_E2E_RECORD"]).with_name("compare-grid.png"))
    # The off cell is the user's own job: the same infotext as a plain API request with those settings.
    plain = webui.generate(**{k: v for k, v in settings.items() if k != "prompt"})
    assert result["infotexts"][0] == plain["info"]["infotexts"][0]


def test_compare_route_refuses_bad_input_by_name_and_keeps_working(webui: WebUI) -> None:
    unknown_field = webui.post("/accelerator/v1/compare", {"prompt": "x", "stepz": 3})
    assert unknown_field.status_code == 422 and "stepz" in unknown_field.text
    no_prompt = webui.post("/accelerator/v1/compare", {"steps": 3})
    assert no_prompt.status_code == 422 and "prompt" in no_prompt.text
    wrong_method = webui.post("/accelerator/v1/compare", {"prompt": "x", "width": 64, "methods": ["nope"]})
    assert wrong_method.status_code == 422 and "'nope'" in wrong_method.text, wrong_method.text
    after = webui.generate()
    assert after["images"], "the WebUI did not generate after the refused comparisons"
