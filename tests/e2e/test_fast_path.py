"""The CFG-1 fast path in the real WebUI: on A1111 an accelerated job at CFG exactly 1 skips the
unconditional pass through the WebUI's own `skip_early_cond` (1.0 for that job only); on Forge, which
skips it by itself, the setting must change nothing. The setting (`accelerator_cfg1_fast_path`) is switched on
for these tests and put back as it was found afterwards.

Proofs, not timings (benchmarks/webui_speed.py measures the speed):
- the image with the fast path on is the image with it off, to 2/255 at most (A1111) or bit for bit (Forge);
- it really engages: `skip_early_cond` reads 1.0 while the job samples, and the pixels equal those of the same
  generation typed by hand with `skip_early_cond=1` (and, fast path off, those without);
- it never leaks: "Skip Early CFG" is not in the infotext, the option is back at its value after the job,
  after an error and after an interrupt, and the next plain, accordion-off and CFG-2 jobs give the very same
  PNG (pixels and infotext) as before any CFG-1 job;
- at any CFG other than 1 it stays off.

Run: `python -m tests.e2e.stack run --tests tests/e2e/test_fast_path.py -- -s` (`--host forge` for Forge); with
`-s` the per-pixel differences are printed.
"""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    SKIPS_UNCOND_BY_ITSELF,
    WebUI,
    accelerate,
    image_digest,
    infotext,
    params,
    requests,
    variants_for,
)

numpy = pytest.importorskip("numpy")

MANIFEST: dict[str, Any] = (
    json.loads(Path(os.environ["ACC_E2E_MANIFEST"]).read_text()) if os.environ.get("ACC_E2E_MANIFEST") else {}
)
CFG1 = [v for v in variants_for(MANIFEST, "sd15") if v["cfg"] == 1.0] if MANIFEST else []
SETTING = "accelerator_cfg1_fast_path"
OPTION = "skip_early_cond"
MAX_DIFF = 2  # 0-255; more means the fast path changed the result, which is a bug


# ---------------------------------------------------------------------------------------------- helpers
def pixels(result: dict[str, Any], index: int = 0) -> Any:
    """RGB pixels as int16; Pillow when it is installed, else a small PNG decoder (the test venv may lack it)."""
    data = base64.b64decode(result["images"][index])
    try:
        from PIL import Image
    except ImportError:
        return _decode_png(data)
    return numpy.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=numpy.int16)


def _decode_png(data: bytes) -> Any:
    """8-bit RGB / RGBA, non-interlaced: what the WebUI's API sends."""
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            assert body[8] == 8 and body[12] == 0, "only 8-bit, non-interlaced PNGs"
            channels = {2: 3, 6: 4}[body[9]]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(bytes(line))
        previous = line
    image = numpy.frombuffer(b"".join(rows), dtype=numpy.uint8).reshape(height, width, channels)
    return image[:, :, :3].astype(numpy.int16)


def skip_option(webui: WebUI) -> float:
    """The live value; A1111 lists an option only once it is in `opts.data`, absent means the default 0."""
    return float(webui.get("/sdapi/v1/options").get(OPTION) or 0.0)


def set_fast_path(webui: WebUI, on: bool) -> None:
    webui.post("/sdapi/v1/options", {SETTING: on}).raise_for_status()


def hand_typed(webui: WebUI, accelerated: dict[str, Any], skip: float | None, **payload: Any) -> dict[str, Any]:
    """The same generation without Accelerator: its prompt (tag included) and the settings it applied."""
    found = params(accelerated)
    request: dict[str, Any] = {
        "prompt": accelerated["info"]["all_prompts"][0],
        "steps": int(found["Steps"]),
        "cfg_scale": float(found["CFG scale"]),
        "sampler_name": found["Sampler"],
        "scheduler": found.get("Schedule type", "Automatic"),
        **payload,
    }
    if skip is not None:
        request["override_settings"] = {OPTION: skip}
    before = skip_option(webui)
    result = webui.generate(**request)
    if skip_option(webui) != before:  # A1111 does not restore an override that is not in config.json
        webui.post("/sdapi/v1/options", {OPTION: before}).raise_for_status()
    return result


def difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[int, float]:
    largest, means = 0, []
    for i in range(len(a["images"])):
        delta = numpy.abs(pixels(a, i) - pixels(b, i))
        largest, means = max(largest, int(delta.max())), [*means, float(delta.mean())]
    return largest, sum(means) / len(means)


@dataclass
class Before:
    skip: float
    setting: bool | None
    plain: dict[str, Any]
    off: dict[str, Any]
    cfg2: dict[str, Any]


def _variant() -> dict[str, Any]:
    if not CFG1:
        pytest.skip("no SD1.5 variant at CFG 1 in the e2e manifest")
    return CFG1[0]


CFG2_ARGS = {"cfg": 2}
OFF_ARGS = {"accelerator": {"args": [{"enabled": False, "method": "lightning", "cfg": 1}]}}


@pytest.fixture(scope="module")
def before(webui: WebUI) -> Any:
    """What the plain, accordion-off and CFG-2 jobs give before any CFG-1 job of this module ran."""
    options = webui.get("/sdapi/v1/options")
    if OPTION not in options:
        pytest.skip(
            f"this WebUI has no {OPTION} option (A1111 before 1.10): the fast path never starts there "
            "(tests/contract/test_cfg1_fast_path.py checks that)"
        )
    variant = _variant()
    state = Before(
        skip=float(options.get(OPTION) or 0.0),
        setting=options.get(SETTING),  # registered options are always listed; None: an old WebUI state
        plain=webui.generate(),
        off=webui.generate(alwayson_scripts=OFF_ARGS),
        cfg2=webui.generate(alwayson_scripts=accelerate(variant=variant["id"], **CFG2_ARGS)),
    )
    set_fast_path(webui, True)
    yield state
    set_fast_path(webui, state.setting is not False)  # leave it as found (on unless switched off)


_RUNS: dict[tuple[str, bool], dict[str, Any]] = {}


def run_cfg1(webui: WebUI, variant: dict[str, Any], fast: bool) -> dict[str, Any]:
    """One accelerated CFG-1 batch of two, with the fast path on or off (cached: several tests read it)."""
    key = (variant["id"], fast)
    if key not in _RUNS:
        set_fast_path(webui, fast)
        try:
            _RUNS[key] = webui.generate(batch_size=2, alwayson_scripts=accelerate(variant=variant["id"]))
        finally:
            set_fast_path(webui, True)
    return _RUNS[key]


# ---------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("variant", CFG1, ids=lambda v: v["id"])
def test_fast_path_changes_the_image_by_two_levels_at_most(
    webui: WebUI, before: Before, host_kind: str, variant: dict[str, Any]
) -> None:
    on, off = run_cfg1(webui, variant, True), run_cfg1(webui, variant, False)
    largest, mean = difference(on, off)
    print(f"\nfast path on vs off, {host_kind}, {variant['id']}, 2 images 64x64: max {largest}, mean {mean:.4f}")
    for result in (on, off):
        found = params(result)
        assert found["Accelerator"] == variant["id"] and float(found["CFG scale"]) == 1.0
        assert "Skip Early CFG" not in found, infotext(result)
    if host_kind in SKIPS_UNCOND_BY_ITSELF:
        assert [image_digest(on, i) for i in range(2)] == [image_digest(off, i) for i in range(2)]
    else:
        assert largest <= MAX_DIFF, f"the fast path changed a pixel by {largest}/255"
    assert skip_option(webui) == before.skip


@pytest.mark.parametrize("variant", CFG1, ids=lambda v: v["id"])
def test_fast_path_is_the_webuis_own_skip(
    webui: WebUI, before: Before, host_kind: str, variant: dict[str, Any]
) -> None:
    """Pixel for pixel: fast path on = typed by hand with skip_early_cond=1; off = typed by hand without."""
    if host_kind in SKIPS_UNCOND_BY_ITSELF:
        pytest.skip(f"{host_kind} skips the unconditional pass by itself; the fast path stays off there")
    on, off = run_cfg1(webui, variant, True), run_cfg1(webui, variant, False)
    with_skip = hand_typed(webui, on, 1.0, batch_size=2)
    without = hand_typed(webui, off, None, batch_size=2)
    assert "Skip Early CFG" in params(with_skip)  # the WebUI does skip when asked by hand
    for i in range(2):
        assert numpy.array_equal(pixels(on, i), pixels(with_skip, i)), "fast path on did not skip"
        assert numpy.array_equal(pixels(off, i), pixels(without, i)), "fast path off still skipped"


@pytest.mark.parametrize("cfg", [1.5, 2])
def test_other_cfg_never_skips(webui: WebUI, before: Before, cfg: float) -> None:
    variant = _variant()
    result = webui.generate(alwayson_scripts=accelerate(variant=variant["id"], cfg=cfg))
    assert float(params(result)["CFG scale"]) == cfg
    assert numpy.array_equal(pixels(result), pixels(hand_typed(webui, result, None)))
    assert not numpy.array_equal(pixels(result), pixels(hand_typed(webui, result, 1.0)))
    assert skip_option(webui) == before.skip


def test_option_is_on_only_while_the_job_samples_and_restored_after_interrupt(
    webui: WebUI, before: Before, host_kind: str
) -> None:
    variant = _variant()
    outcome: dict[str, Any] = {}

    def long_job() -> None:
        worker = WebUI(webui.url)
        payload = {"prompt": "a red cube", "seed": 7, "width": 64, "height": 64, "send_images": True}
        payload["alwayson_scripts"] = accelerate(variant=variant["id"], steps=60)
        response = worker.post("/sdapi/v1/txt2img", {**payload, "save_images": False})
        outcome["status"] = response.status_code

    thread = threading.Thread(target=long_job, daemon=True)
    thread.start()
    deadline, during = time.monotonic() + 300, None
    while time.monotonic() < deadline and thread.is_alive():
        state = webui.get("/sdapi/v1/progress?skip_current_image=true")["state"]
        if state.get("sampling_step", 0) >= 2:
            during = skip_option(webui)
            break
        time.sleep(0.2)
    webui.post("/sdapi/v1/interrupt", {}).raise_for_status()
    thread.join(timeout=600)
    assert during is not None, "the job never reached its second step"
    assert during == (before.skip if host_kind in SKIPS_UNCOND_BY_ITSELF else 1.0)
    assert outcome.get("status") == 200
    assert skip_option(webui) == before.skip


def test_option_restored_after_errors(webui: WebUI, before: Before) -> None:
    variant = _variant()
    # Accelerator's own error after before_process started the fast path (the sampler is checked in process()).
    bad = webui.generate(alwayson_scripts=accelerate(variant=variant["id"], sampler="No Such Sampler"))
    assert "No Such Sampler" in bad["info"]["extra_generation_params"].get("Accelerator error", "")
    assert skip_option(webui) == before.skip
    # An argument rejected before the fast path could start.
    webui.generate(alwayson_scripts=accelerate(variant=variant["id"], steps=0))
    assert skip_option(webui) == before.skip
    # The WebUI itself fails after process() ran (unknown hires upscaler): the API answers with an error.
    payload = {"prompt": "x", "width": 64, "height": 64, "enable_hr": True, "hr_upscaler": "No Such Upscaler"}
    try:
        failed = webui.post("/sdapi/v1/txt2img", {**payload, "alwayson_scripts": accelerate(variant=variant["id"])})
        assert failed.status_code != 200
    except requests.ConnectionError:
        pass  # Forge drops the connection instead of answering with the error
    assert _skip_option_on_a_fresh_connection(webui) == before.skip


def _skip_option_on_a_fresh_connection(webui: WebUI, tries: int = 30) -> float:
    """After a job that failed, Forge also resets kept-alive connections for a moment: each try opens a new one."""
    for _ in range(tries):
        webui.session.close()
        try:
            return skip_option(webui)
        except requests.ConnectionError:
            time.sleep(1)
        finally:
            webui.session.close()  # nor may the next test reuse this one
    raise AssertionError(f"the WebUI did not answer for {tries} s after the failed job")


def test_user_skip_setting_is_left_alone(webui: WebUI, before: Before, host_kind: str) -> None:
    if host_kind in SKIPS_UNCOND_BY_ITSELF:
        pytest.skip("the fast path is off on Forge")
    variant = _variant()
    result = webui.generate(override_settings={OPTION: 0.5}, alwayson_scripts=accelerate(variant=variant["id"]))
    assert params(result).get("Skip Early CFG") == "0.5"  # the user's own value, shown as the WebUI shows it
    if skip_option(webui) != before.skip:  # A1111 bug with overrides not in config.json, not Accelerator's
        webui.post("/sdapi/v1/options", {OPTION: before.skip}).raise_for_status()


def test_later_jobs_are_exactly_as_before(webui: WebUI, before: Before) -> None:
    """Runs last: after every CFG-1 job, error and interrupt above, the same requests give the same PNGs."""
    variant = _variant()
    assert skip_option(webui) == before.skip
    assert image_digest(webui.generate()) == image_digest(before.plain)
    assert image_digest(webui.generate(alwayson_scripts=OFF_ARGS)) == image_digest(before.off)
    cfg2 = webui.generate(alwayson_scripts=accelerate(variant=variant["id"], **CFG2_ARGS))
    assert image_digest(cfg2) == image_digest(before.cfg2)
    assert "Skip Early CFG" not in params(cfg2)
    assert skip_option(webui) == before.skip
