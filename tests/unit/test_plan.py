import pytest

from lib_accelerator.plan import GenerationContext, PlanError, make_plan, resolve_variant
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog
from lib_accelerator.request import Request, RequestError
from tests.unit.hosts import A1111_1_7, A1111_1_9, A1111_1_10, FORGE

CATALOG = load_catalog(builtin_presets_dir())
TXT2IMG = GenerationContext()


def plan_for(request, family, host, context=TXT2IMG):
    resolution = resolve_variant(CATALOG, request, family)
    return make_plan(request, resolution, host, resolution.variant.file.stem, context)


# (request, family, host) -> (variant, steps, cfg, sampler, scheduler)
CASES = [
    (Request(True, "lightning"), "sdxl", A1111_1_10, ("sdxl-lightning-4step", 4, 1.0, "Euler", "SGM Uniform")),
    (Request(True, "lcm"), "sd15", A1111_1_10, ("lcm-lora-sd15", 4, 1.0, "LCM", "Simple")),
    (Request(True, "lcm"), "sd15", A1111_1_9, ("lcm-lora-sd15", 4, 1.0, "LCM", "SGM Uniform")),
    (Request(True, "lcm"), "sdxl", FORGE, ("lcm-lora-sdxl", 4, 1.0, "LCM", "Simple")),
    (Request(True, "hyper_sd"), "sd15", A1111_1_10, ("hyper-sd15-8step", 8, 1.0, "Euler", "SGM Uniform")),
    (
        Request(True, "", "hyper-sdxl-8step-cfg"),
        "sdxl",
        FORGE,
        ("hyper-sdxl-8step-cfg", 8, 5.0, "Euler", "SGM Uniform"),
    ),
    (Request(True, "", "hyper-sd15-1step"), "sd15", A1111_1_10, ("hyper-sd15-1step", 1, 1.0, "LCM", "SGM Uniform")),
    (Request(True, "turbo"), "sdxl", A1111_1_9, ("sdxl-turbo-lora-64dim", 4, 1.0, "LCM", "SGM Uniform")),
    (Request(True, "dmd2"), "sdxl", A1111_1_10, ("dmd2-sdxl-4step-fp16", 4, 1.0, "LCM", "Simple")),
]


@pytest.mark.parametrize(("request_", "family", "host", "expected"), CASES)
def test_plan_table(request_, family, host, expected):
    plan = plan_for(request_, family, host)
    assert (plan.variant_id, plan.steps, plan.cfg, plan.sampler, plan.scheduler) == expected
    assert plan.sampler in host.samplers and plan.scheduler in host.schedulers


@pytest.mark.parametrize("host", [A1111_1_9, A1111_1_10, FORGE], ids=["1.9", "1.10", "forge"])
def test_every_builtin_variant_plans_on_every_supported_host(host):
    for variant in CATALOG.all_variants():
        plan = plan_for(Request(True, variant=variant.id), variant.family, host)
        assert plan.sampler in host.samplers
        assert plan.scheduler in host.schedulers


def test_user_values_win_and_stay_in_infotext():
    plan = plan_for(Request(True, "lightning", strength=0.8, steps=6, cfg=1.5), "sdxl", A1111_1_10)
    assert (plan.strength, plan.steps, plan.cfg) == (0.8, 6, 1.5)
    assert plan.infotext == {
        "Accelerator": "sdxl-lightning-4step",
        "Accelerator strength": 0.8,
        "Accelerator steps": 6,
        "Accelerator CFG": 1.5,
    }
    assert any("outside the range" in w and "steps 6" in w for w in plan.warnings)


def test_variant_for_other_family_switches_to_same_steps():
    plan = plan_for(Request(True, "", "hyper-sd15-4step"), "sdxl", A1111_1_10)
    assert plan.variant_id == "hyper-sdxl-4step"
    assert any("SD 1.5" in w and "SDXL" in w for w in plan.warnings)


def test_method_without_file_for_family_names_what_works():
    with pytest.raises(PlanError, match="SDXL-Lightning has no file for SD 1.5.*Hyper-SD.*LCM-LoRA"):
        plan_for(Request(True, "lightning"), "sd15", A1111_1_10)


def test_unknown_model_family_is_a_clear_error():
    with pytest.raises(PlanError, match="not one Accelerator knows"):
        plan_for(Request(True, "lcm"), None, A1111_1_10)


def test_missing_lcm_sampler_is_reported_not_crashed():
    with pytest.raises(PlanError, match="LCM sampler.*1.8"):
        plan_for(Request(True, "lcm"), "sd15", A1111_1_7)


def test_no_schedule_dropdown_leaves_scheduler_alone():
    plan = plan_for(Request(True, "hyper_sd"), "sd15", A1111_1_7)
    assert plan.scheduler is None and any("no Schedule type" in w for w in plan.warnings)


def test_fallback_sampler_is_explained():
    plan = plan_for(Request(True, "", "hyper-sdxl-1step"), "sdxl", FORGE)
    assert plan.sampler == "LCM" and any("no TCD sampler" in w for w in plan.warnings)


def test_sampler_not_in_host_is_rejected_with_the_list():
    with pytest.raises(RequestError, match="sampler 'Warp' is not in this WebUI; available:.*Euler"):
        plan_for(Request(True, "lcm", sampler="Warp"), "sd15", A1111_1_10)
    with pytest.raises(RequestError, match="schedule type 'Turbo'"):
        plan_for(Request(True, "lcm", schedule="Turbo"), "sd15", A1111_1_10)
    assert plan_for(Request(True, "lcm", schedule="turbo"), "sd15", FORGE).scheduler == "Turbo"


@pytest.mark.parametrize(("host", "hr_cfg", "skip"), [(A1111_1_10, None, True), (FORGE, 1.0, False)])
def test_hires_and_cfg1_depend_on_host(host, hr_cfg, skip):
    plan = plan_for(Request(True, "lightning"), "sdxl", host, GenerationContext(hires=True))
    assert plan.hires and plan.hr_cfg == hr_cfg and plan.skip_uncond is skip


def test_cfg_above_one_never_skips_uncond():
    plan = plan_for(Request(True, "", "hyper-sd15-8step-cfg"), "sd15", A1111_1_10)
    assert plan.cfg == 5.0 and not plan.skip_uncond


def test_img2img_fixes_steps():
    assert plan_for(Request(True, "lcm"), "sd15", A1111_1_10, GenerationContext(is_img2img=True)).fix_img2img_steps
    assert not plan_for(Request(True, "lcm"), "sd15", A1111_1_10).fix_img2img_steps


def test_method_given_with_foreign_variant_follows_the_method():
    plan = plan_for(Request(True, "lightning", "lcm-lora-sd15"), "sdxl", A1111_1_10)
    assert plan.variant_id == "sdxl-lightning-4step"
