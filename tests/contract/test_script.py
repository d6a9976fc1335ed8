"""scripts/accelerator.py in the WebUI's real script machinery: loader, ScriptRunner, UI and API defaults."""

from __future__ import annotations

import inspect
import types

import pytest

from tests.contract import webui_env

FIELD_NAMES = ["enabled", "method", "variant", "strength", "steps", "cfg", "sampler", "schedule", "shift"]


@pytest.fixture(scope="module")
def gr(webui):
    import gradio

    return gradio


@pytest.fixture(scope="module")
def loaded(webui):
    from modules import scripts

    module = webui_env.accelerator_module()
    # what load_scripts() registers: every Script subclass found in the module's namespace
    classes = [c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, scripts.Script)]
    return types.SimpleNamespace(module=module, classes=classes)


def _runner_for(loaded, is_img2img: bool, monkeypatch):
    """A ScriptRunner set up the way the WebUI sets up each tab's runner, holding only this script."""
    from modules import scripts

    data = scripts.ScriptClassData(
        loaded.classes[0], str(webui_env.ACCELERATOR_SCRIPT), str(webui_env.EXTENSION_ROOT), loaded.module
    )
    monkeypatch.setattr(scripts, "scripts_data", [data])
    runner = scripts.ScriptRunner()
    runner.initialize_scripts(is_img2img)
    ours = [s for s in runner.alwayson_scripts if isinstance(s, loaded.classes[0])]
    assert len(ours) == 1, "the WebUI did not take the script as always-visible"
    return runner, ours[0]


def test_loader_names_the_module_and_finds_one_script(loaded):
    from modules import script_loading

    assert loaded.module.__name__ == "accelerator.py"
    if hasattr(script_loading, "loaded_scripts"):  # not in Forge Classic's A1111 1.7-era loader
        assert script_loading.loaded_scripts[str(webui_env.ACCELERATOR_SCRIPT)] is loaded.module
    assert len(loaded.classes) == 1


def test_title_and_visibility(loaded):
    from modules import scripts

    script = loaded.classes[0]()
    assert script.title() == "Accelerator"
    assert script.show(False) is scripts.AlwaysVisible
    assert script.show(True) is scripts.AlwaysVisible


@pytest.mark.parametrize("is_img2img", [False, True], ids=["txt2img", "img2img"])
def test_ui_in_the_tabs_runner(webui, gr, loaded, monkeypatch, is_img2img):
    from modules import sd_models, ui_components

    runner, script = _runner_for(loaded, is_img2img, monkeypatch)
    runner.prepare_ui()
    with gr.Blocks():
        # what modules/ui.py does for the "accordions" section of each tab
        runner.setup_ui_for_section(script.section)
    controls = script.controls
    assert controls is not None, "ui() failed inside the WebUI (see the error printed above)"
    assert len(controls) == len(FIELD_NAMES)
    enabled, method, variant, strength, steps, cfg, sampler, schedule, shift = controls
    # A1111: InputAccordion is the class; Forge: a factory function returning an InputAccordionImpl
    accordion_class = getattr(ui_components, "InputAccordionImpl", ui_components.InputAccordion)
    assert isinstance(enabled, accordion_class)
    assert isinstance(enabled, gr.Checkbox) and enabled.value is False
    assert all(isinstance(c, gr.Dropdown) for c in (method, variant, sampler, schedule))
    assert all(isinstance(c, gr.Slider) for c in (strength, steps, cfg))
    # last, so that older positional API calls keep their meaning; it can hold "no shift"
    assert isinstance(shift, gr.Number) and shift.value is None
    assert shift.visible is False  # the start variant (Hyper-SD, no model loaded) has no shift
    assert (script.args_from, script.args_to) == (1, 1 + len(FIELD_NAMES))
    assert runner.inputs[1:] == controls

    assert script.infotext_fields is not None
    assert [field[0] for field in script.infotext_fields[: len(FIELD_NAMES)]] == controls
    # after the controls: fields with `api=` names only, for the API's `infotext` (see test_api_infotext...)
    extra = script.infotext_fields[len(FIELD_NAMES) :]
    assert {field.api for field in extra} == {"steps", "cfg_scale", "sampler_name", "scheduler", "prompt", "hr_prompt"}
    assert not any(field[0] in controls for field in extra)
    assert runner.infotext_fields == script.infotext_fields

    tab = "img2img" if is_img2img else "txt2img"
    for control in controls:
        assert control.elem_id.startswith(f"script_{tab}_"), control.elem_id
        assert "accelerator" in control.elem_id, control.elem_id
    assert len({c.elem_id for c in controls}) == len(controls)

    # what /sdapi/v1/script-info reports
    assert script.api_info is not None and script.api_info.is_alwayson
    assert script.api_info.name == "accelerator"
    assert script.api_info.args[0].label == "Accelerator"

    # building the UI must not load a checkpoint (A1111 loads one on the first `shared.sd_model`)
    if not webui.forge:
        assert sd_models.model_data.sd_model is None


@pytest.mark.parametrize("is_img2img", [False, True], ids=["txt2img", "img2img"])
def test_api_default_args(webui, gr, loaded, monkeypatch, is_img2img):
    """The API builds default script args by calling ui() twice in a throwaway gr.Blocks()."""
    from modules.api import api

    from lib_accelerator import request

    runner, script = _runner_for(loaded, is_img2img, monkeypatch)
    runner.prepare_ui()
    with gr.Blocks():
        runner.setup_ui_for_section(script.section)
    defaults = api.Api.init_default_script_args(None, runner)  # does not use `self`
    ours = defaults[script.args_from : script.args_to]
    assert len(ours) == len(FIELD_NAMES)
    assert ours[0] is False
    assert ours[6:8] == [request.PRESET_LABEL, request.PRESET_LABEL]
    assert ours[8] is None  # the shift: an API call that leaves it out gets the variant's own
    parsed = request.from_script_args(ours)
    assert parsed.enabled is False and parsed.shift is None
    assert parsed.method == ours[1]
    assert request.from_script_args(ours[:8]) == parsed  # an older client's eight positional args


def test_ui_twice_in_one_blocks(webui, gr, loaded):
    script = loaded.classes[0]()
    script.is_txt2img, script.is_img2img, script.tabname = True, False, "txt2img"
    with gr.Blocks():
        first = script.ui(False)
        first_fields = script.infotext_fields
        second = script.ui(False)
    assert len(first) == len(second) == len(FIELD_NAMES)
    assert [c.value for c in first] == [c.value for c in second]
    # reForge's InputAccordion makes a repeated accordion id unique ("…-5-checkbox"); the controls keep theirs
    assert [c.elem_id for c in first[1:]] == [c.elem_id for c in second[1:]]
    assert all(c.elem_id.startswith("script_txt2img_accelerator_accelerator") for c in (first[0], second[0]))
    count = len(FIELD_NAMES)
    assert [f[0] for f in script.infotext_fields[:count]] == second  # the last build's components
    assert [f[0] for f in first_fields[:count]] == first


def test_sampler_and_schedule_choices_are_the_hosts(webui, gr, loaded, host):
    from lib_accelerator import request

    script = loaded.classes[0]()
    script.is_txt2img, script.is_img2img, script.tabname = True, False, "txt2img"
    with gr.Blocks():
        controls = script.ui(False)
    sampler, schedule = controls[6], controls[7]
    caps = host.capabilities()  # now, not at session start: the TCD sampler may have been added since

    def values(dropdown):
        return [c[1] if isinstance(c, (tuple, list)) else c for c in dropdown.choices]

    assert values(sampler) == [request.PRESET_LABEL, *sorted(caps.samplers)]
    assert values(schedule) == [request.PRESET_LABEL, *sorted(caps.schedulers or ())]


def _registered_fn(blocks, name: str):
    functions = blocks.fns.values() if isinstance(blocks.fns, dict) else blocks.fns
    found = [f.fn for f in functions if getattr(f.fn, "__name__", "") == name]
    assert len(found) == 1, f"{name} not registered"
    return found[0]


def test_infotext_pastes_back_through_the_webui(webui, gr, loaded, catalog, caps, host, monkeypatch):
    """PNG info written by the real `create_infotext`, read by the real parser and the WebUI's paste
    handler with the script's `infotext_fields`: the accordion comes back as it was, and the prompt
    loses the recorded tag (our `infotext_pasted` callback) so the accordion does not add it twice."""
    from modules import infotext_utils, processing, script_callbacks, shared

    from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
    from lib_accelerator.request import Request
    from tests.contract.test_apply_plan import make_txt2img

    request = Request(True, "lightning", strength=0.8, steps=6, cfg=1.5, sampler="Euler a", schedule="Karras")
    resolution = resolve_variant(catalog, request, "sdxl")
    plan = make_plan(request, resolution, caps, resolution.variant.file.stem, GenerationContext())
    p = make_txt2img(enable_hr=False)
    host.apply_plan(p, plan)
    if webui.forge:  # Forge's create_infotext asks the (not loaded) model whether it uses distilled CFG
        monkeypatch.setattr(shared.sd_model, "use_distilled_cfg_scale", False, raising=False)
    text = processing.create_infotext(p, p.all_prompts, [1, 1], [1, 1], position_in_batch=1)
    assert f"<lora:{plan.lora_name}:0.8>" in text

    params = infotext_utils.parse_generation_parameters(text)
    assert {label: params.get(label) for label in plan.infotext} == {k: str(v) for k, v in plan.infotext.items()}
    script_callbacks.infotext_pasted_callback(text, params)
    assert params["Prompt"] == "a dog, <lora:someone_else:0.5>, night"

    script = loaded.classes[0]()
    script.is_txt2img, script.is_img2img, script.tabname = True, False, "txt2img"
    with gr.Blocks() as blocks:
        controls = script.ui(False)
        source, button = gr.Textbox(), gr.Button()
        infotext_utils.connect_paste(button, script.infotext_fields, source, None, "txt2img")
    updates = _registered_fn(blocks, "paste_func")(text)
    assert len(updates) == len(script.infotext_fields)
    pasted = [u.get("value") for u in updates[: len(controls)]]
    assert pasted == [True, "lightning", plan.variant_id, 0.8, 6, 1.5, "Euler a", "Karras", None]
    assert updates[len(controls) - 1]["visible"] is False  # SDXL-Lightning has no shift: the box is emptied, hidden


def test_api_infotext_gives_the_request_the_users_own_settings(
    schedule_type, webui, gr, loaded, catalog, caps, host, monkeypatch
):
    """The API's `infotext` runs no on_infotext_pasted callback: the script's `api=` paste fields, listed
    after the WebUI's own (as modules/ui.py lists them), must give the request the user's own steps, CFG,
    sampler and schedule from `Accelerator base`, and the prompt without the recorded tag."""
    from modules import infotext_utils, processing, sd_samplers, shared
    from modules.api import models

    from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
    from lib_accelerator.request import Request
    from tests.contract.test_apply_plan import make_txt2img

    request = Request(True, "lightning", strength=0.8)
    resolution = resolve_variant(catalog, request, "sdxl")
    plan = make_plan(request, resolution, caps, resolution.variant.file.stem, GenerationContext())
    p = make_txt2img(enable_hr=False)
    host.apply_plan(p, plan)
    if webui.forge:
        monkeypatch.setattr(shared.sd_model, "use_distilled_cfg_scale", False, raising=False)
    text = processing.create_infotext(p, p.all_prompts, [1, 1], [1, 1], position_in_batch=1)

    runner, script = _runner_for(loaded, False, monkeypatch)
    runner.prepare_ui()
    with gr.Blocks():
        main = [  # the WebUI's own fields with API names, as modules/ui.py registers them for txt2img
            infotext_utils.PasteField(gr.Textbox(), "Prompt", api="prompt"),
            infotext_utils.PasteField(gr.Slider(), "Steps", api="steps"),
            infotext_utils.PasteField(gr.Slider(), "CFG scale", api="cfg_scale"),
            infotext_utils.PasteField(gr.Dropdown(), sd_samplers.get_sampler_from_infotext, api="sampler_name"),
            infotext_utils.PasteField(gr.Dropdown(), sd_samplers.get_scheduler_from_infotext, api="scheduler"),
        ]
        runner.setup_ui_for_section(script.section)
    monkeypatch.setitem(infotext_utils.paste_fields, "txt2img", {"fields": [*main, *runner.infotext_fields]})
    body = models.StableDiffusionTxt2ImgProcessingAPI(infotext=text)
    mentioned: dict[int, object] = {}
    webui_env.api_apply_infotext(body, runner, mentioned)

    assert (body.steps, body.cfg_scale, body.sampler_name, body.scheduler) == (30, 7.0, "DPM++ 2M", "Karras")
    assert "<lora:" not in body.prompt.replace("<lora:someone_else:0.5>", ""), body.prompt
    ours = {index - script.args_from: value for index, value in mentioned.items()}
    assert ours[0] is True and ours[2] == plan.variant_id and ours[3] == 0.8
