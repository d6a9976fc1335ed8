"""`host.apply_plan` and `host.force_fixed_img2img_steps` on the WebUI's real processing objects.

The objects are built with the real constructors and prompts with the real `setup_prompts()`, which is
the state `process()` sees; nothing samples and no model is loaded. Tags are read back with the WebUI's
own extra-network parser, which is what the Lora extension sees.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib_accelerator import infotext
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.request import Request

FIX_STEPS = "img2img_fix_steps"
PROMPTS = ["a cat", "a dog, <lora:someone_else:0.5>, night"]
NEGATIVE = "blurry"


def _plan(catalog, caps, request: Request, family: str, context: GenerationContext):
    resolution = resolve_variant(catalog, request, family)
    return make_plan(request, resolution, caps, resolution.variant.file.stem, context)


@pytest.fixture()
def hires_plan(catalog, caps):
    return _plan(catalog, caps, Request(True, "hyper_sd"), "sd15", GenerationContext(hires=True))


@pytest.fixture()
def img2img_plan(catalog, caps):
    return _plan(catalog, caps, Request(True, "lcm"), "sd15", GenerationContext(is_img2img=True))


def make_txt2img(prompts=PROMPTS, **overrides):
    from modules import processing

    values = {
        "prompt": list(prompts),
        "negative_prompt": NEGATIVE,
        "batch_size": len(prompts),
        "n_iter": 1,
        "steps": 30,
        "cfg_scale": 7.0,
        "width": 64,
        "height": 64,
        "sampler_name": "DPM++ 2M",
        "scheduler": "Karras",
        "enable_hr": True,
        "hr_scale": 2.0,
        "hr_upscaler": "Latent",
        "hr_second_pass_steps": 20,
        "hr_sampler_name": "DPM++ 2M",
        "hr_scheduler": "Karras",
        "denoising_strength": 0.5,
        "do_not_save_samples": True,
        "do_not_save_grid": True,
        **overrides,
    }
    if hasattr(processing.StableDiffusionProcessingTxt2Img, "hr_cfg"):
        values.setdefault("hr_cfg", 7.0)
    # Forge Classic has no schedule fields (its schedule is a sampler-name suffix or the k_sched_type option)
    accepted = {f.name for f in dataclasses.fields(processing.StableDiffusionProcessingTxt2Img)}
    p = processing.StableDiffusionProcessingTxt2Img(**{k: v for k, v in values.items() if k in accepted})
    p.setup_prompts()
    return p


def make_img2img(**overrides):
    from modules import processing
    from PIL import Image

    values = {
        "prompt": "a house",
        "negative_prompt": NEGATIVE,
        "init_images": [Image.new("RGB", (64, 64), "gray")],
        "denoising_strength": 0.5,
        "steps": 30,
        "cfg_scale": 7.0,
        "width": 64,
        "height": 64,
        "sampler_name": "DPM++ 2M",
        "scheduler": "Karras",
        "do_not_save_samples": True,
        "do_not_save_grid": True,
        **overrides,
    }
    accepted = {f.name for f in dataclasses.fields(processing.StableDiffusionProcessingImg2Img)}
    p = processing.StableDiffusionProcessingImg2Img(**{k: v for k, v in values.items() if k in accepted})
    p.setup_prompts()
    return p


def lora_tags(prompt: str) -> tuple[str, dict[str, list[list[str]]]]:
    """The prompt as the WebUI parses it: text without tags, and the items of each `<lora:...>` by name."""
    from modules import extra_networks

    text, found = extra_networks.parse_prompt(prompt)
    by_name: dict[str, list[list[str]]] = {}
    for params in found.get("lora", []):
        by_name.setdefault(params.items[0], []).append(params.items[1:])
    return text, by_name


def assert_tagged_once(prompts, originals, plan):
    assert len(prompts) == len(originals)
    for prompt, original in zip(prompts, originals, strict=True):
        text, tags = lora_tags(prompt)
        ours = tags.get(plan.lora_name, [])
        assert len(ours) == 1, prompt
        assert float(ours[0][0]) == plan.strength, prompt
        original_text, original_tags = lora_tags(original)
        assert text.strip(" ,") == original_text.strip(" ,")  # the user's words are untouched
        for name, items in original_tags.items():  # and so are the other LoRAs
            assert tags[name] == items


def test_txt2img_fields_after_apply(webui, caps, host, hires_plan, schedule_type):
    p = make_txt2img()
    host.apply_plan(p, hires_plan)
    plan = hires_plan
    assert (p.steps, p.cfg_scale, p.sampler_name, p.scheduler) == (plan.steps, plan.cfg, plan.sampler, plan.scheduler)
    assert (p.hr_second_pass_steps, p.hr_sampler_name, p.hr_scheduler) == (plan.steps, plan.sampler, plan.scheduler)
    if caps.has_hr_cfg:  # Forge, reForge
        assert plan.hr_cfg == plan.cfg
        assert p.hr_cfg == plan.cfg  # was 7: hires would otherwise run at the UI's Hires CFG
    else:
        assert not hasattr(p, "hr_cfg")
    # the WebUI's own lookups accept what was set
    from modules import sd_samplers, sd_schedulers

    assert sd_samplers.find_sampler_config(p.sampler_name) is not None
    assert sd_schedulers.schedulers_map.get(p.scheduler) is not None


def test_txt2img_prompts_carry_the_tag_once(webui, host, hires_plan):
    p = make_txt2img()
    originals, hr_originals = list(p.all_prompts), list(p.all_hr_prompts)
    assert hr_originals == PROMPTS  # setup_prompts() built the hires prompts from the prompt
    host.apply_plan(p, hires_plan)
    assert_tagged_once(p.all_prompts, originals, hires_plan)
    assert_tagged_once(p.all_hr_prompts, hr_originals, hires_plan)
    host.apply_plan(p, hires_plan)  # the X/Y/Z grid and retries can apply twice
    assert_tagged_once(p.all_prompts, originals, hires_plan)
    assert_tagged_once(p.all_hr_prompts, hr_originals, hires_plan)


def test_a_new_strength_replaces_the_tag(webui, catalog, caps, host):
    p = make_txt2img(enable_hr=False)
    originals = list(p.all_prompts)
    context = GenerationContext()
    host.apply_plan(p, _plan(catalog, caps, Request(True, "hyper_sd", strength=0.6), "sd15", context))
    plan = _plan(catalog, caps, Request(True, "hyper_sd", strength=0.9), "sd15", context)
    host.apply_plan(p, plan)
    assert_tagged_once(p.all_prompts, originals, plan)
    assert p.all_hr_prompts is None  # hires off: setup_prompts() made none and apply_plan made none either


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prompts=st.lists(
        st.text(alphabet=st.sampled_from("abc ,()[]:<>"), max_size=24).filter(lambda t: "<" not in t and ">" not in t),
        min_size=1,
        max_size=3,
    ),
    strength=st.sampled_from([0.125, 0.5, 0.8, 1.0, 1.25]),
)
def test_tag_once_for_any_prompt(webui, catalog, caps, host, prompts, strength):
    p = make_txt2img(prompts=prompts)
    plan = _plan(catalog, caps, Request(True, "lcm", strength=strength), "sd15", GenerationContext(hires=True))
    for _ in range(2):
        host.apply_plan(p, plan)
        for prompt in (*p.all_prompts, *p.all_hr_prompts):
            assert len(lora_tags(prompt)[1].get(plan.lora_name, [])) == 1, prompt


def test_infotext_keys_are_replaced_not_accumulated(webui, catalog, caps, host):
    p = make_txt2img()
    earlier = _plan(
        catalog,
        caps,
        Request(True, "lightning", strength=0.8, steps=6, cfg=1.5, sampler="Euler a", schedule="Karras"),
        "sdxl",
        GenerationContext(hires=True),
    )
    later = _plan(catalog, caps, Request(True, "hyper_sd"), "sd15", GenerationContext(hires=True))
    p.extra_generation_params["Hires upscale"] = 2.0  # a WebUI key that must survive
    host.apply_plan(p, earlier)
    assert {k: p.extra_generation_params[k] for k in earlier.infotext} == earlier.infotext
    # this plan writes every Accelerator key but the shift (SDXL-Lightning has none)
    assert set(earlier.infotext) == set(infotext.ALL_LABELS) - {infotext.SHIFT.label}

    host.clear_infotext(p)  # what process() does when the accordion is off, e.g. in the next X/Y/Z cell
    assert not set(infotext.ALL_LABELS) & set(p.extra_generation_params)
    host.apply_plan(p, earlier)
    host.apply_plan(p, later)
    ours = {k: v for k, v in p.extra_generation_params.items() if k in infotext.ALL_LABELS}
    assert ours == later.infotext == {"Accelerator": later.variant_id}
    assert p.extra_generation_params["Hires upscale"] == 2.0


def test_webui_txt2img_init_keeps_the_plan(webui, host, hires_plan, schedule_type):
    """`p.init()` runs after `process()`; it must not undo or rename what apply_plan set."""
    from modules import shared

    p = make_txt2img()
    host.apply_plan(p, hires_plan)
    job_count = shared.state.job_count
    try:
        p.init(p.all_prompts, [1] * len(p.all_prompts), [1] * len(p.all_prompts))
    finally:
        shared.state.job_count = job_count
    assert (p.hr_sampler_name, p.hr_scheduler, p.hr_second_pass_steps) == (
        hires_plan.sampler,
        hires_plan.scheduler,
        hires_plan.steps,
    )
    assert "Hires sampler" not in p.extra_generation_params  # same sampler in both passes
    assert p.extra_generation_params["Hires steps"] == hires_plan.steps
    if webui.forge:
        assert p.extra_generation_params.get("Hires CFG Scale") == hires_plan.cfg
    assert p.extra_generation_params["Accelerator"] == hires_plan.variant_id


def test_img2img_fields_after_apply(webui, host, img2img_plan, schedule_type):
    p = make_img2img()
    original = list(p.all_prompts)
    host.apply_plan(p, img2img_plan)
    plan = img2img_plan
    assert (p.steps, p.cfg_scale, p.sampler_name, p.scheduler) == (plan.steps, plan.cfg, plan.sampler, plan.scheduler)
    assert plan.hires is False and plan.fix_img2img_steps is True
    assert_tagged_once(p.all_prompts, original, plan)
    assert host.is_img2img(p) and not host.is_hires(p)


def test_force_fixed_img2img_steps_uses_a_new_override_dict(webui, host, monkeypatch):
    from modules import shared

    assert FIX_STEPS in shared.opts.data_labels, "the WebUI option Accelerator overrides was renamed"
    monkeypatch.delitem(shared.opts.data, FIX_STEPS, raising=False)  # a fresh install: not in config.json
    shared_dict = {"CLIP_stop_at_last_layers": 1}  # the X/Y/Z grid hands one dict to every cell
    p = make_img2img(override_settings=shared_dict)
    assert p.override_settings is shared_dict

    host.force_fixed_img2img_steps(p)
    assert p.override_settings is not shared_dict
    assert shared_dict == {"CLIP_stop_at_last_layers": 1}
    assert p.override_settings == {"CLIP_stop_at_last_layers": 1, FIX_STEPS: True}
    # process_images only restores keys present in opts.data
    assert FIX_STEPS in shared.opts.data
    assert shared.opts.data[FIX_STEPS] == shared.opts.get_default(FIX_STEPS)

    before = p.override_settings
    host.force_fixed_img2img_steps(p)  # a second call leaves the override alone
    assert p.override_settings is before


def test_process_images_applies_and_restores_the_step_override(webui, host, img2img_plan, monkeypatch):
    """The real `process_images` around a stub of the sampling part: the override is live while the
    images are made, img2img then runs exactly `p.steps` steps, and the user's setting comes back."""
    from modules import processing, sd_models, sd_samplers_common, shared

    monkeypatch.setitem(shared.opts.data, FIX_STEPS, False)
    for module, name in (
        (sd_models, "reload_model_weights"),  # A1111
        (sd_models, "apply_token_merging"),  # A1111
        (processing, "manage_model_and_prompt_cache"),  # Forge
    ):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, lambda *args, **kwargs: (None, False))
    seen = {}

    def inner(p):
        seen["fix_steps"] = shared.opts.img2img_fix_steps
        seen["steps"] = sd_samplers_common.setup_img2img_steps(p)
        seen["names"] = (p.sampler_name, getattr(p, "scheduler", None))
        return "processed"

    monkeypatch.setattr(processing, "process_images_inner", inner)
    p = make_img2img()
    host.apply_plan(p, img2img_plan)
    host.force_fixed_img2img_steps(p)  # what before_process does
    applied = (p.sampler_name, getattr(p, "scheduler", None))  # Forge Classic: "Euler SGMUniform", no scheduler
    assert processing.process_images(p) == "processed"
    assert seen["fix_steps"] is True
    _total, t_enc = seen["steps"]
    assert t_enc + 1 == img2img_plan.steps  # denoising 0.5 no longer halves the accelerated steps
    assert seen["names"] == applied  # not "corrected" by the WebUI
    assert shared.opts.data[FIX_STEPS] is False


def test_step_override_does_not_outlive_a_job_that_keeps_its_overrides(webui, host, img2img_plan, monkeypatch):
    from modules import processing, sd_models, shared

    monkeypatch.setitem(shared.opts.data, FIX_STEPS, False)
    for module, name in (
        (sd_models, "reload_model_weights"),
        (sd_models, "apply_token_merging"),
        (processing, "manage_model_and_prompt_cache"),
    ):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, lambda *args, **kwargs: (None, False))
    monkeypatch.setattr(processing, "process_images_inner", lambda p: "processed")
    p = make_img2img(override_settings_restore_afterwards=False)
    host.apply_plan(p, img2img_plan)
    host.force_fixed_img2img_steps(p)  # before_process
    processing.process_images(p)
    assert shared.opts.data[FIX_STEPS] is False
