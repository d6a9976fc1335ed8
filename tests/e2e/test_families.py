"""The 2025-26 families in the real SD.Next: tiny random-weight Qwen-Image, Wan 2.2 T2V A14B, Z-Image and FLUX.2 Klein
pipelines (`tests/hosts/sdnext/tiny_pipelines.py`) loaded as checkpoints, with Accelerator installed.

For each: Accelerator tells the family, base variant and precision SD.Next loaded; the right file is fetched from
the fake hub and applied (the image differs from the same job without it, and equals the same LoRA typed by hand);
steps, CFG, sampler, schedule and shift reach the job (infotext, and the scheduler SD.Next built); the known-bad
combinations are refused by name and the hub sees no request. Runs only where the stack loaded the tiny
pipelines (SD.Next, `python -m tests.e2e.stack run --host sdnext`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.conftest import WebUI, accelerate, image_pixels, params

PROMPT = "a red cube on a table"
SIZE = {"width": 64, "height": 64, "prompt": PROMPT, "seed": 4321}


@pytest.fixture(scope="module")
def families(manifest: dict[str, Any], host_kind: str) -> dict[str, Any]:
    if host_kind != "sdnext":
        pytest.skip("the tiny 2025-26 pipelines run only in SD.Next (the hosts here that load diffusers folders)")
    found: dict[str, Any] | None = manifest.get("families")
    if not found:
        pytest.skip("no tiny pipelines: run tests/hosts/sdnext/tiny_pipelines.py with the SD.Next venv first")
    return found


@pytest.fixture(scope="module", autouse=True)
def restore_checkpoint(webui: WebUI, families: dict[str, Any]) -> Iterator[None]:
    before = webui.get("/sdapi/v1/options")["sd_model_checkpoint"]
    yield
    webui.post("/sdapi/v1/options", {"sd_model_checkpoint": before}).raise_for_status()


def load(webui: WebUI, families: dict[str, Any], title: str) -> dict[str, Any]:
    """Load one tiny checkpoint; what Accelerator says is loaded (`GET /accelerator/v1/methods`)."""
    expected = next(c for c in families["checkpoints"] if c["title"] == title)
    webui.post("/sdapi/v1/options", {"sd_model_checkpoint": title}, timeout=600).raise_for_status()
    deadline = time.monotonic() + 300
    while True:
        loaded: dict[str, Any] = webui.get("/accelerator/v1/methods")
        if loaded["family"] == expected["family"] and loaded["base_variant"] == expected["base_variant"]:
            break
        assert time.monotonic() < deadline, f"{title} did not load: Accelerator sees {loaded['family']}"
        time.sleep(2)
    assert loaded["precision"] == expected["precision"]
    return loaded


def hub_requests() -> list[dict[str, Any]]:
    import requests

    url = os.environ.get("ACC_E2E_HUB_RECORDS")
    if not url:
        pytest.skip("ACC_E2E_HUB_RECORDS is not set: run `python -m tests.e2e.stack run`")
    response = requests.get(url, timeout=30, proxies={"http": "", "https": ""})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def fetched(since: int, repo: str) -> list[str]:
    return [r["path"] for r in hub_requests()[since:] if repo in r["path"]]


def variant(families: dict[str, Any], variant_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in families["variants"] if v["id"] == variant_id)
    return found


def stems(entry: dict[str, Any]) -> list[str]:
    files = entry.get("files") or [entry["file"]]
    return [f["save_as"].removesuffix(".safetensors") for f in files]


def loaded_name(stem: str) -> str:
    """The name SD.Next gives a LoRA it loads through diffusers' `load_lora_weights` (Qwen-Image, Wan), as its
    infotext's "LoRA networks" says it: dots become underscores (`modules/lora/lora_diffusers.py:55`)."""
    return stem.replace(".", "_")


def sampler_config(webui: WebUI) -> dict[str, Any]:
    """The scheduler SD.Next built for the last job (`GET /sdapi/v1/sampler`: class and config)."""
    found: dict[str, Any] = webui.get("/sdapi/v1/sampler")
    return found


def networks(found: dict[str, str]) -> list[str]:
    return [n.strip() for n in found.get("LoRA networks", "").split(",") if n.strip()]


def mean_difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(np.abs(image_pixels(a) - image_pixels(b)).mean())


def measured(**values: Any) -> None:
    """Numbers for the notes, beside the requests' infotexts in ACC_E2E_RECORD."""
    path = os.environ.get("ACC_E2E_RECORD")
    if path:
        entry = {"test": os.environ.get("PYTEST_CURRENT_TEST", ""), "measured": values}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def refused(webui: WebUI, since: int, **values: Any) -> str:
    result = webui.generate(**SIZE, alwayson_scripts=accelerate(**values))
    error = str(result["info"]["extra_generation_params"].get("Accelerator error", ""))
    assert error, result["info"]
    assert result["images"] == []  # SD.Next makes no image for a stopped job
    assert hub_requests()[since:] == []  # refused before any download: the hub saw no request at all
    measured(refusal=error)
    return error


def lora_files(name: str) -> list[Path]:
    return list(Path(os.environ.get("ACC_E2E_LORA_DIR", "/nonexistent")).rglob(name))


# --- Qwen-Image -------------------------------------------------------------------------------------------------
def test_plain_fp8_qwen_image_is_refused_before_any_download(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Qwen-Image-fp8-e4m3fn-tiny")
    since = len(hub_requests())
    # The built-in method: the rule names it (a mirror with another id is not refused; see compatibility.RULES)
    error = refused(webui, since, method="qwen_lightning")
    assert "qwen-image-lightning-4step: this Qwen-Image checkpoint is plain fp8" in error
    assert "fp8-scaled" in error  # ... and says what would work
    assert not lora_files("accel-Qwen-Image-Lightning-4steps-V1.0-bf16.safetensors")


def test_edit_2511_has_no_pinned_file_and_is_refused(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Qwen-Image-Edit-2511-tiny")
    since = len(hub_requests())
    error = refused(webui, since, variant="e2e-qwen-image-edit-lightning-4step")
    assert "has no file for Qwen-Image-Edit-2511" in error and "breaks images on Qwen-Image-Edit-2509 and 2511" in error


def test_edit_file_asked_on_edit_2509_fetches_the_2509_file(webui: WebUI, families: dict[str, Any]) -> None:
    loaded = load(webui, families, "Diffusers/Qwen-Image-Edit-2509-tiny")
    assert loaded["base_variant"] == "edit-2509"
    since = len(hub_requests())
    edit_2509 = variant(families, "e2e-qwen-image-edit-2509-lightning-4step")
    # SD.Next gives its Edit pipelines a blank image in txt2img ("Model init: ... image=blank" in its log)
    result = webui.generate(**SIZE, alwayson_scripts=accelerate(variant="e2e-qwen-image-edit-lightning-4step"))
    paths = fetched(since, "acc-e2e")
    assert paths and all(edit_2509["file"]["filename"] in p for p in paths), paths  # never the Edit file
    assert lora_files(edit_2509["file"]["save_as"])
    found = params(result)
    assert found["Accelerator"] == edit_2509["id"]
    assert networks(found) == [loaded_name(s) for s in stems(edit_2509)]
    measured(infotext=result["info"]["infotexts"][0], fetched=paths)


def test_qwen_lightning_is_applied_with_its_settings(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Qwen-Image-tiny")
    chosen = variant(families, "e2e-qwen-image-lightning-4step")
    since = len(hub_requests())
    accelerated = webui.generate(**SIZE, alwayson_scripts=accelerate(method="e2e_qwen_lightning"))
    found = params(accelerated)
    assert found["Accelerator"] == chosen["id"]
    assert networks(found) == [loaded_name(s) for s in stems(chosen)]
    assert (int(found["Steps"]), float(found["CFG scale"])) == (chosen["steps"], chosen["cfg"])
    assert found.get("Sampler spacing") == "trailing"  # Simple
    scheduler = sampler_config(webui)
    assert scheduler["name"] == "FlowMatchEulerDiscreteScheduler"
    assert (scheduler["options"]["shift"], scheduler["options"]["use_dynamic_shifting"]) == (3.0, False)
    assert [p for p in fetched(since, "acc-e2e") if p.startswith("/acc-e2e/qwen_lightning/resolve/")]
    settings = {"steps": 4, "cfg_scale": 1, "sampler_name": "Euler", "schedulers_timestep_spacing": "trailing",
                "schedulers_shift": 3, "schedulers_dynamic_shift": False}  # fmt: skip
    plain = webui.generate(**{**SIZE, "prompt": PROMPT + " "}, **settings)
    by_hand = webui.generate(**{**SIZE, "prompt": f"{PROMPT} <lora:{stems(chosen)[0]}:1>"}, **settings)
    applied, same = mean_difference(accelerated, plain), mean_difference(accelerated, by_hand)
    measured(infotext=accelerated["info"]["infotexts"][0], lora_vs_plain=applied, vs_by_hand=same, scheduler=scheduler)
    assert applied > 0.5, applied  # the LoRA changed the image
    assert same == 0.0  # exactly the job the same LoRA and settings make by hand


def test_a_shift_from_the_request_reaches_the_scheduler(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Qwen-Image-tiny")
    result = webui.generate(**SIZE, alwayson_scripts=accelerate(method="e2e_qwen_lightning", shift=4.5))
    found = params(result)
    assert (float(found["Accelerator shift"]), float(found["Sampler shift"])) == (4.5, 4.5)
    assert sampler_config(webui)["options"]["shift"] == 4.5
    measured(infotext=result["info"]["infotexts"][0])


# --- Wan 2.2 ----------------------------------------------------------------------------------------------------
def test_wan22_gets_one_file_per_expert(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Wan2_2-T2V-A14B-tiny")
    chosen = variant(families, "e2e-wan22-t2v-a14b-lightning-4step")
    since = len(hub_requests())
    accelerated = webui.generate(**SIZE, alwayson_scripts=accelerate(method="e2e_wan22_lightning"))
    found = params(accelerated)
    assert found["Accelerator"] == chosen["id"]
    high, low = stems(chosen)
    # model_wan_stage "combined": both experts loaded, each with its own file
    assert networks(found) == [loaded_name(high), loaded_name(low)]
    assert (int(found["Steps"]), float(found["CFG scale"]), float(found["Sampler shift"])) == (4, 1.0, 5.0)
    scheduler = sampler_config(webui)
    assert (scheduler["options"]["shift"], scheduler["options"]["use_dynamic_shifting"]) == (5.0, False)
    downloaded = [p for p in fetched(since, "acc-e2e/wan22") if "/resolve/" in p]
    assert {f["filename"] for f in chosen["files"]} <= {p.rsplit("/", 1)[-1] for p in downloaded}
    settings = {"steps": 4, "cfg_scale": 1, "sampler_name": "Euler", "schedulers_timestep_spacing": "trailing",
                "schedulers_shift": 5, "schedulers_dynamic_shift": False}  # fmt: skip
    plain = webui.generate(**{**SIZE, "prompt": PROMPT + " "}, **settings)
    both = webui.generate(**{**SIZE, "prompt": f"{PROMPT} <lora:{high}:1> <lora:{low}:1>"}, **settings)
    high_only = webui.generate(**{**SIZE, "prompt": f"{PROMPT} <lora:{high}:1>"}, **settings)
    numbers = {
        "lora_vs_plain": mean_difference(accelerated, plain),
        "vs_by_hand": mean_difference(accelerated, both),
        "low_noise_file_adds": mean_difference(both, high_only),
    }
    measured(infotext=accelerated["info"]["infotexts"][0], scheduler=scheduler, **numbers)
    assert numbers["lora_vs_plain"] > 0.5 and numbers["vs_by_hand"] == 0.0
    assert numbers["low_noise_file_adds"] > 0.0  # the second expert's file is applied too


# --- checkpoints that are distilled themselves: settings only --------------------------------------------------
def test_z_image_turbo_gets_its_recipe_and_no_lora(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Z-Image-Turbo-tiny")
    since = len(hub_requests())
    result = webui.generate(**SIZE, alwayson_scripts=accelerate(method="distilled"))
    found = params(result)
    assert found["Accelerator"] == "z-image-turbo-9step"
    assert (int(found["Steps"]), float(found["CFG scale"]), float(found["Sampler shift"])) == (9, 1.0, 9.0)
    assert found.get("Sampler sigma") == "betas" and "LoRA networks" not in found
    scheduler = sampler_config(webui)
    assert (scheduler["options"]["shift"], scheduler["options"]["use_beta_sigmas"]) == (9.0, True)
    assert fetched(since, "acc-e2e") == []
    by_hand = webui.generate(**SIZE, steps=9, cfg_scale=1, sampler_name="Euler", schedulers_sigma="betas",
                             schedulers_shift=9, schedulers_dynamic_shift=False)  # fmt: skip
    measured(infotext=result["info"]["infotexts"][0], vs_by_hand=mean_difference(result, by_hand))
    assert mean_difference(result, by_hand) == 0.0


def test_z_image_base_is_refused_by_name(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Z-Image-tiny")
    error = refused(webui, len(hub_requests()), method="distilled")
    assert "has no file for Z-Image" in error and "alibaba-pai/Z-Image-Fun-Lora-Distill" in error


def test_flux2_klein_gets_its_recipe(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/FLUX.2-klein-4B-tiny")
    result = webui.generate(**SIZE, alwayson_scripts=accelerate(method="distilled"))
    found = params(result)
    assert found["Accelerator"] == "flux2-klein-4step"
    assert (int(found["Steps"]), float(found["CFG scale"]), found.get("Sampler sigma")) == (4, 1.0, "betas")
    assert "LoRA networks" not in found
    measured(infotext=result["info"]["infotexts"][0], scheduler=sampler_config(webui))


def test_flux2_dev_is_refused_by_name(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/FLUX.2-dev-tiny")
    error = refused(webui, len(hub_requests()), method="distilled")
    assert "has no file for FLUX.2 [dev]" in error and "add it as your own recipe" in error


# --- Chroma: its own family, no method has a file for it ----------------------------------------------------------
def test_chroma_gets_no_flux1_lora(webui: WebUI, families: dict[str, Any]) -> None:
    load(webui, families, "Diffusers/Chroma1-HD-tiny")
    error = refused(webui, len(hub_requests()), variant="hyper-flux1-dev-8step")
    assert "has no file for Chroma models" in error
