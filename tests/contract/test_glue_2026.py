"""The glue for the 2025-26 families in the real WebUI: the shift box in a real gr.Blocks and the WebUI's paste
machinery, a recipe-only variant (Z-Image-Turbo) and a two-file variant (Wan 2.2's experts) run through
`generation.process` on a real `p`, and the Shift axis on the real X/Y/Z script's `AxisOption` list.

No host here loads Z-Image, Qwen-Image or Wan (Forge Neo and SD.Next do; they cannot run on this machine), so
the adapter's answers about the loaded model (`what_is_loaded`, `has_shift`) are set per test; everything else
is the WebUI's own code.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lib_accelerator import infotext, xyz
from lib_accelerator.families import WAN22, Z_IMAGE, LoadedModel
from lib_accelerator.presets.catalog import Catalog
from lib_accelerator.presets.lora_file import LoraFile
from tests.contract import webui_env
from tests.contract.test_apply_plan import PROMPTS, lora_tags, make_txt2img
from tests.contract.test_script import FIELD_NAMES, _registered_fn, _runner_for
from tests.contract.test_script import loaded as loaded  # the fixture: scripts/accelerator.py as the WebUI loads it
from tests.contract.test_xyz_grid import LOCATIONS
from tests.support.loras import write_tensors

SHIFT_INDEX = FIELD_NAMES.index("shift")
Z_TURBO = "z-image-turbo-9step"
QWEN_4STEP = "qwen-image-lightning-4step"


@pytest.fixture()
def gr(webui):
    import gradio

    return gradio


@pytest.fixture()
def loaded_as(host, monkeypatch):
    """Make the adapter report `model` as loaded and say whether it can set a shift."""

    own_capabilities = host.capabilities

    def set_model(model: LoadedModel, *, has_shift: bool) -> None:
        monkeypatch.setattr(host, "what_is_loaded", lambda: model)
        # on the capabilities, not `has_shift()`: Forge Classic's adapter builds its own (and has no shift model)
        monkeypatch.setattr(host, "capabilities", lambda: replace(own_capabilities(), has_shift=has_shift))

    return set_model


def _script(loaded):
    script = loaded.classes[0]()
    script.is_txt2img, script.is_img2img, script.tabname = True, False, "txt2img"
    return script


# ---------------------------------------------------------------- the shift box


def test_a_distilled_checkpoint_opens_with_its_recipe_and_its_shift_box(webui, gr, loaded, loaded_as):
    """The box starts empty (its start value is every API call's default shift) and the page fills it on load
    through the recipe refresh, which `javascript/accelerator.js` presses for every page."""
    from lib_accelerator.webui import ui_recipes

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=True)
    script = _script(loaded)
    with gr.Blocks():
        controls = script.ui(False)
    by_name = dict(zip(FIELD_NAMES, controls, strict=True))
    assert (by_name["method"].value, by_name["variant"].value) == ("distilled", Z_TURBO)
    shift = by_name["shift"]
    assert isinstance(shift, gr.Number)
    assert (shift.value, shift.visible) == (None, True)
    assert (shift.minimum, shift.maximum) == (0.0, 30.0)  # request.SHIFT_LIMITS
    assert shift.elem_id == "script_txt2img_accelerator_accelerator_shift"

    refresh = ui_recipes._Handlers(is_img2img=False, shown_count=len(FIELD_NAMES))
    filled = refresh.refresh("", Z_TURBO, 1.0, 9, 1.0, None)[-1]
    assert (filled["value"], filled["visible"]) == (9.0, True)
    kept = refresh.refresh("", Z_TURBO, 1.0, 9, 1.0, 6.5)[-1]
    assert kept["value"] == 6.5  # what the user typed stays


def test_the_shift_box_stays_hidden_where_the_host_cannot_set_it(webui, gr, loaded, loaded_as):
    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=False)
    script = _script(loaded)
    with gr.Blocks():
        controls = script.ui(False)
    shift = controls[SHIFT_INDEX]
    assert shift.visible is False and shift.value is None


def test_ui_config_does_not_pin_the_shift_box(webui, gr, loaded, loaded_as, tmp_path):
    """A1111 records every control's start value and visibility in ui-config.json and applies them at the next
    start; a recorded 9 would become every API call's shift, whatever is loaded then."""
    from modules import ui_loadsave

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=True)
    script = _script(loaded)
    with gr.Blocks():
        controls = script.ui(False)
    loadsave = ui_loadsave.UiLoadsave(str(tmp_path / "ui-config.json"))
    loadsave.ui_settings = {"txt2img/Accelerated shift/value": 9.0, "txt2img/Accelerated shift/visible": False}
    shift, steps = controls[SHIFT_INDEX], controls[FIELD_NAMES.index("steps")]
    loadsave.add_component("txt2img/Accelerated shift", shift)
    loadsave.add_component("txt2img/Accelerated steps", steps)
    assert (shift.value, shift.visible) == (None, True)
    assert "txt2img/Accelerated steps/value" in loadsave.ui_settings  # the other controls are recorded


@pytest.mark.parametrize("has_shift", [True, False])
def test_choosing_a_variant_fills_or_empties_the_shift_box(webui, gr, loaded_as, has_shift):
    from lib_accelerator.webui import ui

    loaded_as(LoadedModel("qwen_image", "original"), has_shift=has_shift)
    handle = ui._Handlers(is_img2img=False)
    *values, _status = handle.variant_chosen(QWEN_4STEP)
    assert len(values) == len(FIELD_NAMES) - 3
    assert (values[-1]["value"], values[-1]["visible"]) == (3.0, has_shift)
    *values, _status = handle.variant_chosen("hyper-sdxl-8step")
    assert (values[-1]["value"], values[-1]["visible"]) == (None, False)  # never another variant's shift


def test_a_pasted_shift_restores_the_box_through_the_webui(webui, gr, loaded, loaded_as):
    """The WebUI's own paste handler takes an update from a paste field as it is; the value is the pasted shift
    and the box is shown again."""
    from modules import infotext_utils

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=True)
    text = f"a cat\nSteps: 9, Sampler: Euler, CFG scale: 1, Seed: 1, Accelerator: {Z_TURBO}, Accelerator shift: 7"
    script = _script(loaded)
    with gr.Blocks() as blocks:
        controls = script.ui(False)
        source, button = gr.Textbox(), gr.Button()
        infotext_utils.connect_paste(button, script.infotext_fields, source, None, "txt2img")
    updates = _registered_fn(blocks, "paste_func")(text)
    pasted = [u.get("value") for u in updates[: len(controls)]]
    assert pasted[:3] == [True, "distilled", Z_TURBO]
    assert (pasted[SHIFT_INDEX], updates[SHIFT_INDEX]["visible"]) == (7.0, True)
    without = text.replace(", Accelerator shift: 7", "")
    updates = _registered_fn(blocks, "paste_func")(without)
    assert updates[SHIFT_INDEX]["value"] == 9.0  # the variant's own


def test_the_apis_infotext_with_a_shift_is_read_without_error(webui, gr, loaded, loaded_as, monkeypatch):
    """The API's `infotext` goes through the same paste fields, but reads a gr.update as a value only by gradio 3's
    mark; with the box's empty start value it skips the box instead (on gradio 4 too), so the request gets the
    variant's own shift (an API call gives `shift` as an argument), and the rest of the panel as pasted."""
    from modules import infotext_utils
    from modules.api import models

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=True)
    runner, script = _runner_for(loaded, False, monkeypatch)
    runner.prepare_ui()
    with gr.Blocks():
        runner.setup_ui_for_section(script.section)
    monkeypatch.setitem(infotext_utils.paste_fields, "txt2img", {"fields": list(runner.infotext_fields)})
    text = f"a cat\nSteps: 9, Sampler: Euler, CFG scale: 1, Seed: 1, Accelerator: {Z_TURBO}, Accelerator shift: 7"
    body = models.StableDiffusionTxt2ImgProcessingAPI(infotext=text)
    mentioned: dict[int, object] = {}
    webui_env.api_apply_infotext(body, runner, mentioned)
    ours = {index - script.args_from: value for index, value in mentioned.items()}
    assert ours[0] is True and ours[2] == Z_TURBO
    assert SHIFT_INDEX not in ours


# ---------------------------------------------------------------- generations on a real p


def test_a_recipe_only_variant_adds_no_tag_and_no_lora_hashes(webui, host, loaded_as):
    from lib_accelerator.webui import generation

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=False)
    p = make_txt2img(enable_hr=False)
    originals = list(p.all_prompts)
    generation.process(p, ({"enabled": True, "method": "distilled"},))
    assert generation.ERROR_LABEL not in p.extra_generation_params, p.extra_generation_params
    assert p.all_prompts == originals  # no tag: the checkpoint is distilled itself
    for prompt in p.all_prompts:  # what the Lora extension sees: only the user's own LoRA
        assert set(lora_tags(prompt)[1]) <= {"someone_else"}
    assert p.extra_generation_params[infotext.ENABLED_LABEL] == Z_TURBO
    assert "Lora hashes" not in p.extra_generation_params
    assert (p.steps, p.cfg_scale) == (9, 1.0)


def test_a_recipe_only_grid_cell_does_not_keep_the_previous_cells_lora_hashes(webui, host, loaded_as):
    """The X/Y/Z grid's cells share extra_generation_params; the Lora extension rewrites "Lora hashes" only for a
    cell whose prompt has a LoRA tag, so after a LoRA cell a settings-only cell would inherit them."""
    from lib_accelerator.webui import generation

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=False)
    p = make_txt2img(prompts=["a cat"], enable_hr=False)
    p.extra_generation_params["Lora hashes"] = "accel-some-lora: 0123456789ab"  # the previous cell's
    setattr(p, generation.XYZ_ATTRIBUTE, {"enabled": True, "method": "distilled", "variant": ""})
    generation.process(p, (False, "hyper_sd", ""))  # the accordion is off; the Method axis turns it on
    assert p.extra_generation_params[infotext.ENABLED_LABEL] == Z_TURBO
    assert "Lora hashes" not in p.extra_generation_params


def _wan_lora(path: Path, seed: int) -> Path:
    """A small LoRA in lightx2v's Wan 2.2 layout (`diffusion_model.blocks.N.<module>`), true widths."""
    rng = np.random.default_rng(seed)
    tensors: dict[str, np.ndarray] = {}
    for block in range(2):
        for module, fan_in, fan_out in (("self_attn.q", 5120, 5120), ("cross_attn.k", 5120, 5120)):
            name = f"diffusion_model.blocks.{block}.{module}"
            tensors[f"{name}.lora_down.weight"] = rng.standard_normal((8, fan_in)).astype(np.float16)
            tensors[f"{name}.lora_up.weight"] = rng.standard_normal((fan_out, 8)).astype(np.float16)
            tensors[f"{name}.alpha"] = np.array(8.0, dtype=np.float32)
    return write_tensors(path, tensors)


def _pinned(path: Path, role: str) -> LoraFile:
    data = path.read_bytes()
    return LoraFile(
        repo_id="e2e/wan",
        filename=path.name,
        revision="0" * 40,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        save_as=path.name,
        role=role,
    )


@pytest.fixture()
def wan_pair(tmp_path, catalog, loaded_as, host, monkeypatch):
    """A two-expert variant whose verified files are already in a LoRA folder: the real Wan 2.2 preset with
    its files replaced by small ones (the real ones are 600 MB each); offline, so nothing can be fetched."""
    from lib_accelerator.download.ensure import DownloadOptions
    from lib_accelerator.webui import generation, services

    folder = tmp_path / "Lora" / "accelerator"
    folder.mkdir(parents=True)
    high = _pinned(_wan_lora(folder / "e2e_wan22_high_noise.safetensors", 1), "high_noise")
    low = _pinned(_wan_lora(folder / "e2e_wan22_low_noise.safetensors", 2), "low_noise")
    real = catalog.variant("wan22-t2v-a14b-lightning-4step")
    method = catalog.method(real.method_id)
    variant = replace(real, id="e2e-wan22-4step", method_id="e2e_wan", file=high, files=(high, low))
    pair = Catalog((replace(method, id="e2e_wan", variants=(variant,)),))
    for module in (services, generation):
        monkeypatch.setattr(module, "catalog", lambda: pair)
    # Not reusing copies found elsewhere: then each file is checked on its own, and reports its progress.
    options = DownloadOptions(lora_dir=tmp_path / "Lora", offline=True, reuse_existing=False)
    monkeypatch.setattr(services, "download_options", lambda: options)
    loaded_as(LoadedModel(WAN22, "t2v-a14b"), has_shift=False)
    shown: list[str] = []
    monkeypatch.setattr(host, "set_progress_text", shown.append)
    return variant, shown


def test_every_file_of_a_two_file_variant_is_fetched_with_a_line_each(wan_pair, monkeypatch):
    from lib_accelerator.download import variant_files
    from lib_accelerator.webui import services

    variant, shown = wan_pair
    assert services.variant_paths(variant) == tuple(
        services.download_options().lora_dir / "accelerator" / f.save_as for f in variant.files
    )
    assert shown == []  # both were there: nothing to say
    monkeypatch.setattr(variant_files, "find_all_present", lambda files, options: None)  # as if one were missing
    paths = services.variant_paths(variant)
    assert [p.name for p in paths] == [f.save_as for f in variant.files]
    assert [line.split(" 100%")[0] for line in shown] == [
        "Downloading e2e_wan22_high_noise (file 1 of 2)",
        "Downloading e2e_wan22_low_noise (file 2 of 2)",
    ]


def test_a_two_file_variant_tags_the_high_noise_file(wan_pair, webui):
    from lib_accelerator.webui import generation

    variant, _shown = wan_pair
    p = make_txt2img(enable_hr=False)
    generation.process(p, ({"enabled": True, "method": "e2e_wan"},))
    assert generation.ERROR_LABEL not in p.extra_generation_params, p.extra_generation_params
    for prompt, original in zip(p.all_prompts, PROMPTS, strict=True):
        tags = lora_tags(prompt)[1]
        # Forge Neo finds the low-noise expert from this name; the tag names only the first
        assert tags["e2e_wan22_high_noise"] == [["1"]], prompt
        assert "e2e_wan22_low_noise" not in tags
        assert set(tags) - {"e2e_wan22_high_noise"} == set(lora_tags(original)[1])
    assert p.extra_generation_params[infotext.ENABLED_LABEL] == variant.id


# ---------------------------------------------------------------- X/Y/Z


@pytest.fixture()
def grid(webui, host, monkeypatch):
    for relative, basedir in LOCATIONS:
        path = webui.root / relative
        if path.is_file():
            module = webui_env.load_script_module(path, basedir=webui.root / basedir if basedir else None)
            break
    else:
        raise AssertionError(f"no X/Y/Z plot script in {webui.root}")
    monkeypatch.setattr(module, "axis_options", list(module.axis_options))  # the registration appends to it
    monkeypatch.setattr(host, "grid_module", lambda: module)
    return module


def test_the_shift_axis_joins_the_real_axis_options(grid):
    from lib_accelerator.webui import generation
    from lib_accelerator.webui import xyz as webui_xyz

    webui_xyz.register_axes()
    ours = [o for o in grid.axis_options if o.label.startswith(xyz.PREFIX)]
    assert [o.label for o in ours] == [spec.label for spec in xyz.AXES]
    shift = next(o for o in ours if o.label == xyz.SHIFT.label)
    assert isinstance(shift, grid.AxisOption) and shift.type is float
    shift.confirm(None, ["2.5", "5"])
    with pytest.raises(xyz.AxisValueError):
        shift.confirm(None, ["31"])
    webui_xyz.register_axes()  # on_before_ui runs again on a UI reload
    assert len([o for o in grid.axis_options if o.label.startswith(xyz.PREFIX)]) == len(xyz.AXES)

    class Cell:
        pass

    cell = Cell()
    shift.apply(cell, 4.0, [4.0])
    assert getattr(cell, generation.XYZ_ATTRIBUTE) == {"shift": 4.0, "enabled": True}


# ---------------------------------------------------------------- Download now, X/Y/Z prefetch, status, /methods


def test_download_now_has_nothing_to_do_for_a_recipe_only_variant(webui, loaded_as):
    from lib_accelerator.webui import ui

    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=False)
    said = ui._download_now(Z_TURBO, progress=lambda *args, **kwargs: pytest.fail("a progress bar for no file"))
    assert "nothing to download" in said and "No file needed" in said


def test_download_now_fetches_both_files_under_one_bar(wan_pair, monkeypatch):
    from lib_accelerator.download import variant_files
    from lib_accelerator.webui import ui

    variant, _shown = wan_pair
    monkeypatch.setattr(variant_files, "find_all_present", lambda files, options: None)  # as if one were missing
    bar: list[tuple[float, str]] = []
    said = ui._download_now(variant.id, progress=lambda fraction, desc: bar.append((fraction, desc)))
    half = variant.files[0].size / variant.size
    assert bar == [
        (pytest.approx(half), "Downloading e2e_wan22_high_noise.safetensors (1/2)"),
        (pytest.approx(1.0), "Downloading e2e_wan22_low_noise.safetensors (2/2)"),
    ]
    assert said.count("downloaded") == 2 and "2 files" in said  # the status line lists both


def test_the_method_axis_fetches_both_files_and_refuses_what_cannot_work(wan_pair, loaded_as, monkeypatch):
    from lib_accelerator.download import variant_files
    from lib_accelerator.webui import xyz as webui_xyz

    fetched: list[tuple[str, ...]] = []
    real = variant_files.ensure_files

    def ensure_files(files, options, **kwargs):
        fetched.append(tuple(f.save_as for f in files))
        return real(files, options, **kwargs)

    monkeypatch.setattr(variant_files, "find_all_present", lambda files, options: None)
    monkeypatch.setattr(variant_files, "ensure_files", ensure_files)
    webui_xyz._confirm_methods(None, ["off", "e2e_wan"])
    assert fetched == [("e2e_wan22_high_noise.safetensors", "e2e_wan22_low_noise.safetensors")]


def test_the_method_axis_refuses_a_file_the_checkpoint_cannot_use(webui, loaded_as):
    from lib_accelerator.webui import xyz as webui_xyz

    loaded_as(LoadedModel("qwen_image", "original", "fp8"), has_shift=False)  # plain fp8: no Lightning file fits
    with pytest.raises(xyz.AxisValueError, match="fp8"):
        webui_xyz._confirm_methods(None, ["off", "qwen_lightning"])


def test_status_line_of_recipe_only_and_two_file_variants(webui, catalog, loaded_as):
    from lib_accelerator.webui import services, ui_text

    loaded_as(LoadedModel(WAN22, "t2v-a14b"), has_shift=True)
    wan = catalog.variant("wan22-t2v-a14b-lightning-4step")
    line = ui_text.status_html(services.catalog(), wan.id)
    assert all(f.save_as in line for f in wan.files) and "2 files" in line and "shift 5" in line
    line = ui_text.status_html(services.catalog(), Z_TURBO)
    assert "No file needed" in line and "<b>" in line  # the title, no file name
    # same family, another base variant: the compatibility table's reason
    loaded_as(LoadedModel("qwen_image", "edit-2509"), has_shift=False)
    refused = ui_text.status_html(services.catalog(), "qwen-image-edit-lightning-4step")
    assert "accelerator-warning" in refused and "breaks images on Qwen-Image-Edit-2509" in refused
    assert "shift 3" in refused  # said also where the host cannot set it


def test_methods_route_lists_every_file(webui, loaded_as):
    from lib_accelerator.webui import api

    loaded_as(LoadedModel(WAN22, "t2v-a14b"), has_shift=False)
    listed = api._methods()
    assert (listed["family"], listed["base_variant"]) == (WAN22, "t2v-a14b")
    variants = {v["id"]: v for m in listed["methods"] for v in m["variants"]}
    t2v, i2v = variants["wan22-t2v-a14b-lightning-4step"], variants["wan22-i2v-a14b-lightning-4step"]
    assert [f["role"] for f in t2v["files"]] == ["high_noise", "low_noise"]
    assert t2v["size"] == sum(f["size"] for f in t2v["files"]) and t2v["shift"] == 5.0
    assert t2v["file"] == t2v["files"][0]["save_as"] and t2v["refused"] is None
    assert "I2V" in i2v["refused"]  # made for the other base variant
    loaded_as(LoadedModel(Z_IMAGE, "turbo"), has_shift=False)
    (z_turbo,) = [v for m in api._methods()["methods"] for v in m["variants"] if v["id"] == Z_TURBO]
    assert z_turbo["recipe_only"] is True and z_turbo["files"] == [] and z_turbo["file"] == ""
