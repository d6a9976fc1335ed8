"""Forge Classic's own way of naming a schedule, against its real registry, options and processing objects:
a suffix of a sampler of its own ("Euler SGMUniform") or the global option `k_sched_type` for this job."""

from __future__ import annotations

import pytest

from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.request import Request
from tests.contract.test_apply_plan import make_img2img, make_txt2img


@pytest.fixture(scope="module")
def classic(webui):
    if webui.kind != "forge_classic":
        pytest.skip("Forge Classic's schedule naming: this checkout is another host")


def _plan(catalog, caps, variant_id, **request):
    wanted = Request(True, variant=variant_id, **request)
    variant = catalog.variant(variant_id)
    return make_plan(wanted, resolve_variant(catalog, wanted, variant.family), caps, variant.file.stem,
                     GenerationContext(hires=True))  # fmt: skip


def test_capabilities_come_from_the_live_registry_and_option(classic, caps):
    from modules import sd_samplers, shared

    assert caps.samplers == {s.name for s in sd_samplers.all_samplers}
    choices = shared.opts.data_labels["k_sched_type"].component_args["choices"]
    assert {c if c == "Automatic" else c.capitalize() for c in choices} <= caps.schedulers
    assert caps.takes("Euler", "SGM Uniform") and caps.takes("Euler", "Karras")
    assert not caps.takes("LCM", "SGM Uniform")  # no "LCM SGMUniform" in Classic
    assert caps.takes("Euler a", "SGM Uniform")  # spelled "Euler A SGMUniform"


def test_lightning_runs_as_euler_sgmuniform_with_the_sampler_schedule(classic, caps, catalog, host, monkeypatch):
    from modules import sd_samplers, shared

    monkeypatch.setitem(shared.opts.data, "k_sched_type", "karras")  # the user's own global choice
    plan = _plan(catalog, caps, "sdxl-lightning-4step")
    assert (plan.sampler, plan.scheduler) == ("Euler", "SGM Uniform")
    p = make_txt2img()
    host.apply_plan(p, plan)
    assert p.sampler_name == "Euler SGMUniform" and p.hr_sampler_name == "Euler SGMUniform"
    assert sd_samplers.find_sampler_config(p.sampler_name) is not None
    # the job must not take the user's karras: the option is set back to Automatic for this job only
    assert p.override_settings["k_sched_type"] == "Automatic"
    assert shared.opts.data["k_sched_type"] == "karras"
    assert p.extra_generation_params["Accelerator base"] == "steps=30|cfg=7|sampler=DPM++ 2M|schedule=Karras"


def test_a_schedule_without_a_sampler_of_its_own_goes_into_the_option(classic, caps, catalog, host):
    plan = _plan(catalog, caps, "sdxl-lightning-4step", schedule="Exponential")
    assert (plan.sampler, plan.scheduler) == ("Euler", "Exponential")
    p = make_img2img()
    host.apply_plan(p, plan)
    assert p.sampler_name == "Euler" and p.override_settings["k_sched_type"] == "exponential"


def test_lcm_falls_back_to_its_own_schedule_and_says_so(classic, caps, catalog):
    plan = _plan(catalog, caps, "lcm-lora-sdxl")
    assert (plan.sampler, plan.scheduler) == ("LCM", "Automatic")
    assert any("LCM" in w and "Automatic" in w for w in plan.warnings)
