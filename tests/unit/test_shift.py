"""Shift as a plan field: the API argument, the infotext table (and so paste-back), the X/Y/Z axis, range checks,
and what the plan sets on hosts with and without a shift control."""

from dataclasses import replace

import pytest

from lib_accelerator import infotext, xyz
from lib_accelerator.families import LoadedModel
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.presets import recipes
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog, parse_method
from lib_accelerator.request import ARGUMENT_ORDER, FIELD_ORDER, Request, RequestError, from_mapping, from_script_args
from tests.unit.hosts import A1111_1_10, FORGE

CATALOG = load_catalog(builtin_presets_dir())
NEO_WAN = replace(FORGE, name="forge_neo", has_distilled_cfg=False, has_shift=True)  # a use_shift engine
NEO_QWEN = replace(NEO_WAN, has_shift=False)  # Neo's Qwen engine has no use_shift
SDNEXT = replace(A1111_1_10, name="sdnext", schedulers=None, has_shift=True)


def plan_for(request, loaded, host):
    resolution = resolve_variant(CATALOG, request, loaded)
    return make_plan(request, resolution, host, resolution.variant.lora_stem, GenerationContext())


def test_api_argument_and_range():
    assert (*FIELD_ORDER, "shift") == ARGUMENT_ORDER  # the panel's controls are unchanged until it shows a shift
    assert from_script_args([True, "wan22_lightning", "", None, None, None, "", "", 6]).shift == 6.0
    assert from_mapping({"enabled": True, "method": "wan22_lightning", "shift": 8}).shift == 8.0
    assert from_script_args([True, "lcm"]).shift is None  # an older positional call
    with pytest.raises(RequestError, match="'shift' is 31"):
        from_mapping({"shift": 31})
    with pytest.raises(RequestError, match="'shift' must be a number"):
        from_mapping({"shift": "fast"})


def test_preset_shift_on_a_host_with_shift():
    plan = plan_for(Request(True, "wan22_lightning"), LoadedModel("wan22", "t2v-a14b"), NEO_WAN)
    assert plan.shift == 5.0 and plan.lora_name.startswith("accel-wan2.2_t2v_A14b_high_noise")
    assert "Accelerator shift" not in plan.infotext  # the variant's own shift: the variant id says it
    assert plan_for(Request(True, "qwen_lightning"), LoadedModel("qwen_image", "original"), SDNEXT).shift == 3.0


def test_users_shift_wins_and_goes_into_the_infotext():
    plan = plan_for(Request(True, "wan22_lightning", shift=7), LoadedModel("wan22", "t2v-a14b"), NEO_WAN)
    assert plan.shift == 7.0 and plan.infotext["Accelerator shift"] == 7.0


def test_no_shift_where_the_host_cannot_set_it():
    plan = plan_for(Request(True, "qwen_lightning"), LoadedModel("qwen_image", "original"), NEO_QWEN)
    assert plan.shift is None
    assert "this WebUI cannot set the shift for this model; qwen-image-lightning-4step was made for shift 3" in (
        plan.warnings
    )


def test_no_shift_where_the_variant_has_none():
    plan = plan_for(Request(True, "lightning", shift=3), "sdxl", replace(FORGE, has_shift=True))
    assert plan.shift is None and any("has no shift" in w for w in plan.warnings)
    assert "Accelerator shift" not in plan.infotext  # asked for, but not set: the image was made without it
    assert plan_for(Request(True, "lightning"), "sdxl", FORGE).shift is None


def test_a_shift_the_host_cannot_set_stays_out_of_the_infotext():
    plan = plan_for(Request(True, "qwen_lightning", shift=4), LoadedModel("qwen_image", "original"), NEO_QWEN)
    assert plan.shift is None and "Accelerator shift" not in plan.infotext
    assert plan.infotext["Accelerator"] == "qwen-image-lightning-4step"


def test_recipe_only_plan_adds_no_tag_but_sets_everything_else():
    plan = plan_for(Request(True, "distilled"), LoadedModel("z_image", "turbo"), NEO_WAN)
    assert (plan.lora_name, plan.adds_lora) == ("", False)
    assert (plan.steps, plan.cfg, plan.sampler, plan.scheduler, plan.shift) == (9, 1.0, "Euler", "Beta", 9.0)
    assert plan.infotext == {"Accelerator": "z-image-turbo-9step"}


def test_infotext_round_trip_carries_the_shift():
    request = Request(True, "wan22_lightning", "wan22-t2v-a14b-lightning-4step", shift=6.5)
    encoded = infotext.encode(request, "wan22-t2v-a14b-lightning-4step")
    assert encoded["Accelerator shift"] == 6.5 and "Accelerator shift" in infotext.ALL_LABELS
    assert infotext.SHIFT in infotext.ALL_CHANGES and infotext.SHIFT not in infotext.CHANGES
    decoded = infotext.decode({k: str(v) for k, v in encoded.items()})
    assert decoded is not None and decoded.shift == 6.5


def test_shift_equal_to_the_shown_preset_follows_the_variant():
    shown = CATALOG.variant("wan22-t2v-a14b-lightning-4step")
    assert Request(True, shift=5.0).relative_to(shown).shift is None
    assert Request(True, shift=6.0).relative_to(shown).shift == 6.0
    lightning = CATALOG.variant("sdxl-lightning-4step")
    assert Request(True, shift=5.0).relative_to(lightning).shift == 5.0  # no preset shift to compare with


def test_xyz_shift_axis():
    assert xyz.SHIFT in xyz.AXES and xyz.SHIFT.label == "[Accelerator] Shift" and xyz.SHIFT.field == "shift"
    xyz.check_numbers(xyz.SHIFT, ["3", "5.5"])
    with pytest.raises(xyz.AxisValueError, match="Shift"):
        xyz.check_numbers(xyz.SHIFT, ["40"])
    cell = xyz.merge({"method": "wan22_lightning"}, xyz.SHIFT, "8", CATALOG)
    assert cell == {"method": "wan22_lightning", "shift": 8.0, "enabled": True}
    assert from_mapping(cell).shift == 8.0


def test_a_recipe_made_from_a_wan_or_recipe_only_variant_keeps_its_files_and_shift():
    method = CATALOG.method("wan22_lightning")
    base = CATALOG.variant("wan22-t2v-a14b-lightning-4step")
    assert method is not None and base is not None
    data = recipes.recipe_data("My Wan", method, base, recipes.Edits(1.0, 4, 1.0))
    variant = parse_method(data, "mine.json").variants[0]
    assert variant.files == base.files and variant.shift == 5.0 and variant.base_variants == ("t2v-a14b",)
    turbo = CATALOG.variant("z-image-turbo-9step")
    distilled = CATALOG.method("distilled")
    assert turbo is not None and distilled is not None
    mine = parse_method(recipes.recipe_data("My Turbo", distilled, turbo, recipes.Edits(1.0, 8, 1.0)), "t.json")
    assert mine.variants[0].recipe_only and mine.variants[0].steps == 8


def test_a_recipe_keeps_the_users_shift_where_the_base_has_one():
    method = CATALOG.method("wan22_lightning")
    base = CATALOG.variant("wan22-t2v-a14b-lightning-4step")
    assert method is not None and base is not None
    data = recipes.recipe_data("My Wan 7", method, base, recipes.Edits(1.0, 4, 1.0, shift=7))
    assert parse_method(data, "mine.json").variants[0].shift == 7.0
    lightning = CATALOG.method("lightning")
    sdxl = CATALOG.variant("sdxl-lightning-4step")
    assert lightning is not None and sdxl is not None
    # a base without a shift has none to edit: a stray value from the panel is not kept
    data = recipes.recipe_data("My XL", lightning, sdxl, recipes.Edits(1.0, 4, 1.0, shift=7))
    assert parse_method(data, "xl.json").variants[0].shift is None
