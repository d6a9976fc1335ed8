"""The real WebUI over HTTP: what an API user, and the UI behind it, gets from Accelerator."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import host_names
from tests.e2e.conftest import WebUI, accelerate, image_digest, infotext, params, pixel_digest, variants_for

MANIFEST: dict[str, Any] = (
    json.loads(Path(os.environ["ACC_E2E_MANIFEST"]).read_text()) if os.environ.get("ACC_E2E_MANIFEST") else {}
)
SD15 = variants_for(MANIFEST, "sd15") if MANIFEST else []
SDXL = variants_for(MANIFEST, "sdxl") if MANIFEST and os.environ.get("ACC_E2E_SDXL") else []


def check_accelerated(webui: WebUI, variant: dict[str, Any], result: dict[str, Any]) -> None:
    found = params(result)
    names = host_names.expected(variant, webui)
    stem = variant["file"]["save_as"].removesuffix(".safetensors")
    assert int(found["Steps"]) == variant["steps"]
    assert found["Sampler"] == names.sampler
    for key, value in names.infotext.items():
        assert found.get(key, "Automatic" if key == "Schedule type" and value else None) == value, (key, found)
    assert float(found["CFG scale"]) == variant["cfg"]
    assert found["Accelerator"] == variant["id"]
    assert host_names.lora_named(found, stem), found
    assert "Skip Early CFG" not in found
    for prompt in result["info"]["all_prompts"]:
        assert prompt.count(f"<lora:{stem}:") == 1


def test_script_is_listed(webui: WebUI) -> None:
    scripts = webui.get("/sdapi/v1/scripts")
    assert "accelerator" in scripts["txt2img"] and "accelerator" in scripts["img2img"]


@pytest.mark.parametrize("variant", SD15, ids=lambda v: v["id"])
def test_each_method_accelerates_sd15(webui: WebUI, variant: dict[str, Any]) -> None:
    on = webui.generate(alwayson_scripts=accelerate(variant=variant["id"]))
    check_accelerated(webui, variant, on)
    names = host_names.expected(variant, webui)
    same_settings_no_lora = webui.generate(steps=variant["steps"], cfg_scale=variant["cfg"], **names.fields)
    assert host_names.no_lora(params(same_settings_no_lora))
    assert pixel_digest(on) != pixel_digest(same_settings_no_lora), "the LoRA did not change the image"


def test_accordion_off_changes_nothing(webui: WebUI) -> None:
    without = webui.generate()
    off = webui.generate(alwayson_scripts={"accelerator": {"args": [False, "lightning", "", 1.5, 12, 3.0]}})
    assert image_digest(off) == image_digest(without)
    assert infotext(off) == infotext(without)
    assert "Accelerator" not in infotext(off)


def test_pasted_infotext_reproduces_the_image_without_doubling_the_tag(webui: WebUI, host_kind: str) -> None:
    variant = SD15[0]
    if host_kind == "sdnext":
        # its API models (modules/api/models.py, generate.py at 058a7f0c) have no `infotext` field: the request
        # would run with SD.Next's defaults (1024x1024, 20 steps)
        pytest.skip("SD.Next's API takes no `infotext` field; paste-back is checked in its UI (browser layer)")
    if host_kind == "forge":
        probe = webui.post("/sdapi/v1/txt2img", {"infotext": "x\nSteps: 1, Size: 64x64", "send_images": False})
        if probe.status_code == 500 and "parameterized generic" in probe.text:
            pytest.skip("Forge's API rejects every `infotext` request (isinstance on a generic type in api.py)")
    first = webui.generate(alwayson_scripts=accelerate(variant=variant["id"], strength=0.8))
    assert params(first)["Accelerator strength"] == "0.8"
    response = webui.post("/sdapi/v1/txt2img", {"infotext": infotext(first), "send_images": True, "save_images": False})
    assert response.status_code == 200, response.text[:1000]
    again = response.json()
    again["info"] = json.loads(again["info"])
    stem = variant["file"]["save_as"].removesuffix(".safetensors")
    assert again["info"]["all_prompts"][0].count(f"<lora:{stem}:") == 1
    # Every field, the user's own settings under "Accelerator base" included: the PNG's text chunk holds
    # the infotext, so the PNG bytes are compared apart from the pixels.
    assert params(again) == params(first), f"{infotext(first)}\n!=\n{infotext(again)}"
    assert pixel_digest(again) == pixel_digest(first)


def test_hires_fix_keeps_the_lora_and_the_method_settings(webui: WebUI, host_kind: str) -> None:
    variant = SD15[0]
    # Forge's API fails a hires request that does not name its hires modules ("in None").
    forge_only = {"hr_additional_modules": ["Use same choices"]} if host_kind == "forge" else {}
    result = webui.generate(
        **forge_only,
        enable_hr=True,
        hr_scale=1.5,
        hr_upscaler="Latent",
        denoising_strength=0.5,
        hr_second_pass_steps=17,
        alwayson_scripts=accelerate(variant=variant["id"]),
    )
    check_accelerated(webui, variant, result)
    found = params(result)
    assert int(found["Hires steps"]) == variant["steps"]
    if host_kind == "sdnext":  # it writes the hires sampler always, resolved from "Same as primary"
        assert found["Hires sampler"] == found["Sampler"]
    else:
        assert "Hires sampler" not in found  # same sampler as the first pass
    assert "Hires prompt" not in found  # the hires prompts carry the same tag


def test_batches_carry_the_tag_in_every_prompt(webui: WebUI) -> None:
    variant = SD15[0]
    result = webui.generate(n_iter=2, batch_size=2, alwayson_scripts=accelerate(variant=variant["id"]))
    assert len(result["info"]["all_prompts"]) == 4
    check_accelerated(webui, variant, result)


def test_invalid_argument_is_reported_and_the_next_request_works(webui: WebUI) -> None:
    bad = webui.generate(alwayson_scripts=accelerate(method="warp"))
    error = bad["info"]["extra_generation_params"].get("Accelerator error", "")
    assert "unknown method 'warp'" in error and "lightning" in error
    assert bad["images"] == [] or "Accelerator: " not in infotext(bad)
    too_many = webui.generate(alwayson_scripts=accelerate(variant=SD15[0]["id"], steps=0))
    assert "'steps' is 0" in too_many["info"]["extra_generation_params"].get("Accelerator error", "")
    good = webui.generate(alwayson_scripts=accelerate(variant=SD15[0]["id"]))
    check_accelerated(webui, SD15[0], good)
    assert "Accelerator error" not in good["info"]["extra_generation_params"]


def test_img2img_runs_exactly_the_method_steps(webui: WebUI) -> None:
    variant = next(v for v in SD15 if v["steps"] >= 4)
    source = webui.generate()
    log = Path(os.environ.get("WEBUI_LOG", "/nonexistent"))
    before = log.stat().st_size if log.exists() else 0
    result = webui.generate(
        "img2img",
        init_images=[source["images"][0]],
        denoising_strength=0.5,
        alwayson_scripts=accelerate(variant=variant["id"]),
    )
    check_accelerated(webui, variant, result)
    assert float(params(result)["Denoising strength"]) == 0.5
    if log.exists():
        with log.open("rb") as handle:
            handle.seek(before)
            printed = handle.read().decode("utf-8", "replace")
        n = variant["steps"]
        # "8/8 [" (tqdm in A1111 and Forge), "8/8 00:01" (SD.Next's progress line)
        assert re.search(rf"\b{n}/{n}[ \[]", printed), f"no progress bar of {n} steps in the log: {printed[-800:]}"
    # the setting used to force it is restored afterwards
    assert webui.get("/sdapi/v1/options").get("img2img_fix_steps") in (False, None)


def test_downloaded_files_are_listed_by_the_webui(webui: WebUI) -> None:
    names = {lora["name"] for lora in webui.get("/sdapi/v1/loras")}
    assert SD15[0]["file"]["save_as"].removesuffix(".safetensors") in names


@pytest.fixture(scope="module")
def sdxl_loaded(webui: WebUI) -> Any:
    if not os.environ.get("ACC_E2E_SDXL"):
        pytest.skip("SDXL runs only with `stack run --sdxl` (the SDXL checkpoint needs ~15 GB)")
    models = [m["title"] for m in webui.get("/sdapi/v1/sd-models")]
    sdxl = next((m for m in models if "sdxl" in m.lower()), None)
    if sdxl is None:
        pytest.skip("no SDXL checkpoint in this WebUI")
    before = webui.get("/sdapi/v1/options")
    # A1111 backs up every patched weight on the first LoRA (+10 GB for SDXL); the functional path avoids it.
    # Only where the host has that option: Forge Classic's API refuses a key it does not know (KeyError, 500).
    change: dict[str, Any] = {"sd_model_checkpoint": sdxl}
    restore: dict[str, Any] = {"sd_model_checkpoint": before["sd_model_checkpoint"]}
    if "lora_functional" in before:
        change["lora_functional"] = True
        restore["lora_functional"] = before["lora_functional"]
    webui.post("/sdapi/v1/options", change).raise_for_status()
    yield sdxl
    webui.post("/sdapi/v1/options", restore).raise_for_status()


@pytest.mark.parametrize("variant", SDXL, ids=lambda v: v["id"])
def test_each_method_accelerates_sdxl(webui: WebUI, sdxl_loaded: Any, variant: dict[str, Any]) -> None:
    on = webui.generate(alwayson_scripts=accelerate(variant=variant["id"]))
    check_accelerated(webui, variant, on)
    names = host_names.expected(variant, webui)
    plain = webui.generate(steps=variant["steps"], cfg_scale=variant["cfg"], **names.fields)
    assert pixel_digest(on) != pixel_digest(plain), "the LoRA did not change the SDXL image"


def test_sd15_variant_on_sdxl_switches_family(webui: WebUI, sdxl_loaded: Any) -> None:
    if not SDXL:
        pytest.skip("no SDXL variants in this run")
    sd15_hyper = next((v for v in SD15 if v["method"] == "e2e_hyper_sd"), None)
    if sd15_hyper is None:
        pytest.skip("no Hyper-SD SD1.5 variant")
    result = webui.generate(alwayson_scripts=accelerate(variant=sd15_hyper["id"]))
    assert "Accelerator: e2e-hyper-sdxl" in infotext(result)
