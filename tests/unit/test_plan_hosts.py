"""Plans on the sampler and schedule names that reForge and Forge Classic list (recorded in hosts.py)."""

from __future__ import annotations

import pytest

from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog
from lib_accelerator.request import Request, RequestError
from tests.unit.hosts import FORGE_CLASSIC, REFORGE

CATALOG = load_catalog(builtin_presets_dir())
SD_FAMILIES = ("sd15", "sd2", "sdxl")


def _plan(variant_id: str, host, **request):
    wanted = Request(True, variant=variant_id, **request)
    variant = CATALOG.variant(variant_id)
    assert variant is not None
    return make_plan(wanted, resolve_variant(CATALOG, wanted, variant.family), host, variant.file.stem,
                     GenerationContext())  # fmt: skip


@pytest.mark.parametrize("host", [REFORGE, FORGE_CLASSIC], ids=lambda h: h.name)
def test_every_sd_variant_plans_to_a_pair_the_host_takes(host):
    for variant in CATALOG.all_variants():
        if variant.family not in SD_FAMILIES:
            continue
        plan = _plan(variant.id, host)
        assert plan.sampler in host.samplers, variant.id
        assert plan.scheduler is not None and host.takes(plan.sampler, plan.scheduler), (variant.id, plan.scheduler)


def test_reforge_has_the_schedules_the_presets_want():
    plan = _plan("sdxl-lightning-4step", REFORGE)
    assert (plan.sampler, plan.scheduler, plan.warnings) == ("Euler", "SGM Uniform", ())
    assert _plan("lcm-lora-sdxl", REFORGE).scheduler == "Simple"


def test_classic_takes_sgm_uniform_only_where_it_has_a_sampler_for_it():
    assert _plan("sdxl-lightning-4step", FORGE_CLASSIC).scheduler == "SGM Uniform"  # "Euler SGMUniform"
    lcm = _plan("lcm-lora-sdxl", FORGE_CLASSIC)  # Simple, else SGM Uniform: Classic has neither for LCM
    assert (lcm.sampler, lcm.scheduler) == ("LCM", "Automatic")
    assert any("LCM" in w for w in lcm.warnings)


def test_classic_refuses_a_typed_schedule_its_sampler_cannot_take_and_lists_what_it_can():
    with pytest.raises(RequestError, match=r"not in this WebUI for the LCM sampler; available: .*Karras"):
        _plan("lcm-lora-sdxl", FORGE_CLASSIC, schedule="SGM Uniform")
    assert _plan("lcm-lora-sdxl", FORGE_CLASSIC, schedule="Karras").scheduler == "Karras"
