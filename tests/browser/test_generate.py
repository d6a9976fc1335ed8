"""A generation from the page with the accordion on, and "Send to txt2img" of its PNG restoring the accordion.

Each test runs one 64x64 generation of the random-weight SD 1.5 model with a small e2e LoRA.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import URL
from tests.browser.webui import (
    EVENT_TIMEOUT_MS,
    PAGE,
    Accordion,
    generate,
    infotext_params,
    lora_tags,
    number,
    set_number,
    shows,
    switch_tab,
)
from tests.e2e import host_names
from tests.e2e.conftest import WebUI

PROMPT = "a red cube on a table"


def _sampler_name(variant: Any) -> str:
    """The sampler the infotext names for the variant on this host (Forge Classic: "Euler SGMUniform")."""
    wanted = {"sampler": list(variant.samplers), "schedule": list(variant.schedules)}
    return host_names.expected(wanted, WebUI(os.environ.get("WEBUI_URL", "").rstrip("/"))).sampler


def _check_accelerated(infotext: str, variant: Any) -> None:
    params = infotext_params(infotext)
    assert params.get("Accelerator") == variant.id, infotext
    assert params.get("Steps") == str(variant.steps), infotext
    assert params.get("Sampler") == _sampler_name(variant), infotext
    assert float(params.get("CFG scale", "nan")) == variant.cfg, infotext
    prompt = infotext.split("\n")[0]
    assert lora_tags(prompt).count(variant.file.stem) == 1, f"the LoRA tag is not there exactly once: {prompt!r}"


def test_generate_with_the_accordion_on(
    page: Any, e2e_variant: Any, catalog: Any, shots: Any, session_state: Any
) -> None:
    method = catalog.method(e2e_variant.method_id)
    accordion = Accordion(page, "txt2img")
    accordion.open()
    accordion.choose_method(method.id, method.name)
    expect(accordion.variant.input).to_have_value(shows(e2e_variant.id, e2e_variant.label), timeout=EVENT_TIMEOUT_MS)
    expect(accordion.number("steps")).to_have_value(number(e2e_variant.steps))

    page.locator("#txt2img_prompt textarea").fill(PROMPT)
    set_number(page, "txt2img_width", 64)
    set_number(page, "txt2img_height", 64)
    set_number(page, "txt2img_seed", 1234)
    lora_dir = os.environ.get("ACC_E2E_LORA_DIR")
    fresh = bool(lora_dir) and not (Path(str(lora_dir)) / "accelerator" / e2e_variant.file.save_as).exists()
    if fresh:  # this generation downloads the file
        expect(accordion.status).to_contain_text("not downloaded yet")
    infotext = generate(page)
    _check_accelerated(infotext, e2e_variant)
    # The status line follows the download without a page reload.
    expect(accordion.status).to_contain_text(re.compile(r"· downloaded"), timeout=EVENT_TIMEOUT_MS)
    print(
        f"status line after the generation ({'fresh download' if fresh else 'file was there'}): "
        f"{accordion.status.inner_text()!r}"
    )

    image = page.locator("#txt2img_gallery img").first
    expect(image).to_be_visible()
    response = page.request.get(image.get_attribute("src"))
    assert response.ok, response.status
    picture = response.body()
    assert _mime_type(picture), picture[:16]
    session_state["png"] = picture

    page.mouse.move(0, 0)
    shots.save(page, "generated", [accordion.root, page.locator("#txt2img_results")])


def _mime_type(picture: bytes) -> str | None:
    """PNG, or JPEG: SD.Next's default output format (the parameters then travel in its EXIF)."""
    if picture.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg" if picture.startswith(b"\xff\xd8") else None


def _accelerated_png(session_state: dict[str, Any], variant: Any) -> bytes:
    """The PNG made by the generation test, or (when that failed) one made over the API."""
    if "png" in session_state:
        return bytes(session_state["png"])
    import requests

    session = requests.Session()
    session.trust_env = False  # 127.0.0.1: never a proxy
    payload = {
        "prompt": PROMPT,
        "seed": 1234,
        "width": 64,
        "height": 64,
        "save_images": False,
        "send_images": True,
        "alwayson_scripts": {
            "accelerator": {"args": [{"enabled": True, "method": variant.method_id, "variant": variant.id}]}
        },
    }
    response = session.post(f"{URL}/sdapi/v1/txt2img", json=payload, timeout=900)
    assert response.status_code == 200, response.text[:2000]
    result = response.json()
    infotext = json.loads(result["info"])["infotexts"][0]
    assert f"Accelerator: {variant.id}" in infotext, infotext
    print("the UI generation made no image; this test uses one made over the API")
    return base64.b64decode(result["images"][0])


def test_send_to_txt2img_restores_the_accordion(
    page: Any, e2e_variant: Any, catalog: Any, shots: Any, session_state: Any
) -> None:
    png = _accelerated_png(session_state, e2e_variant)
    method = catalog.method(e2e_variant.method_id)

    switch_tab(page, "PNG Info")
    mime = _mime_type(png) or "image/png"
    page.locator(PAGE.pnginfo_upload).set_input_files(
        files=[{"name": "accelerated." + mime.split("/")[1], "mimeType": mime, "buffer": png}]
    )
    expect(page.locator(PAGE.pnginfo_panel)).to_contain_text(f"Accelerator: {e2e_variant.id}", timeout=EVENT_TIMEOUT_MS)
    page.locator(PAGE.pnginfo_to_txt2img).click()

    accordion = Accordion(page, "txt2img")
    expect(page.locator("#tab_txt2img")).to_be_visible()
    expect(accordion.visible_checkbox).to_be_checked(timeout=EVENT_TIMEOUT_MS)
    expect(accordion.value_checkbox).to_be_checked()
    expect(accordion.header).to_have_class(re.compile(r"\bopen\b"))
    expect(accordion.variant.input).to_have_value(shows(e2e_variant.id, e2e_variant.label))
    expect(accordion.method.input).to_have_value(shows(method.id, method.name))
    expect(accordion.number("steps")).to_have_value(number(e2e_variant.steps))
    prompt = page.locator("#txt2img_prompt textarea")
    expect(prompt).to_have_value(re.compile(re.escape(PROMPT)))
    tags = lora_tags(prompt.input_value())
    assert tags.count(e2e_variant.file.stem) <= 1, f"the pasted prompt has the LoRA tag twice: {prompt.input_value()!r}"

    # Generating again from the restored settings gives the same recipe, with the tag once, not twice.
    switch_tab(page, "txt2img")
    infotext = generate(page)
    _check_accelerated(infotext, e2e_variant)
    assert infotext_params(infotext).get("Size") == "64x64", infotext
    page.mouse.move(0, 0)
    shots.save(page, "send-to-txt2img", [accordion.root, page.locator("#txt2img_results")])
