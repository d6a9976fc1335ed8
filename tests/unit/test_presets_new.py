"""What the TCD, PCM, FLUX.1-Turbo-Alpha and Hyper-SD (FLUX, SD3) presets make each supported host do."""

from dataclasses import replace

import pytest

from lib_accelerator import names
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog
from lib_accelerator.request import Request
from tests.unit.hosts import A1111_1_9, A1111_1_10, FORGE

CATALOG = load_catalog(builtin_presets_dir())
NEW_METHODS = ("tcd", "pcm", "flux_turbo", "hyper_sd_dit")
NEW_VARIANTS = [v for m in NEW_METHODS for v in CATALOG.method(m).variants]  # type: ignore[union-attr]
HOSTS = {"a1111-1.9": A1111_1_9, "a1111-1.10": A1111_1_10, "forge": FORGE}


TXT2IMG = GenerationContext()


def plan_for(request, family, host, context=TXT2IMG):
    resolution = resolve_variant(CATALOG, request, family)
    return make_plan(request, resolution, host, resolution.variant.file.stem, context)


@pytest.fixture()
def tcd_registered(monkeypatch):
    """The host after webui/tcd_sampler.py has added its sampler."""
    monkeypatch.setitem(names.SAMPLERS, "tcd", "TCD")
    return {name: replace(host, samplers=host.samplers | {"TCD"}) for name, host in HOSTS.items()}


def test_new_presets_load():
    assert CATALOG.errors == ()
    assert all(CATALOG.method(m) is not None for m in NEW_METHODS)


EVEN, SIMPLE = "SGM Uniform", "Simple"
# (request, family, host) -> (variant, steps, cfg, strength, sampler, schedule type, distilled CFG)
CASES = [
    (Request(True, "tcd"), "sd15", "a1111-1.10", ("tcd-sd15", 4, 1.0, 1.0, "Euler", "SGM Uniform", None)),
    (Request(True, "tcd"), "sdxl", "forge", ("tcd-sdxl", 4, 1.0, 1.0, "Euler", "SGM Uniform", None)),
    (Request(True, "tcd"), "sd2", "a1111-1.9", ("tcd-sd21-base", 4, 1.0, 1.0, "Euler", "SGM Uniform", None)),
    (Request(True, "pcm"), "sd15", "a1111-1.10", ("pcm-sd15-smallcfg-4step", 4, 1.0, 1.0, "Euler", EVEN, None)),
    (Request(True, "pcm"), "sdxl", "forge", ("pcm-sdxl-smallcfg-2step", 2, 1.0, 1.0, "Euler", EVEN, None)),
    (
        Request(True, "", "pcm-sdxl-normalcfg-8step"),
        "sdxl",
        "a1111-1.10",
        ("pcm-sdxl-normalcfg-8step", 8, 4.5, 1.0, "Euler", "SGM Uniform", None),
    ),
    (Request(True, "", "pcm-sd15-lcmlike"), "sd15", "a1111-1.10", ("pcm-sd15-lcmlike", 4, 1.0, 1, "LCM", SIMPLE, None)),
    (Request(True, "", "pcm-sd15-lcmlike"), "sd15", "a1111-1.9", ("pcm-sd15-lcmlike", 4, 1.0, 1, "LCM", EVEN, None)),
    (Request(True, "flux_turbo"), "flux", "forge", ("flux1-turbo-alpha", 8, 1.0, 1.0, "Euler", "Simple", 3.5)),
    (Request(True, "hyper_sd_dit"), "flux", "forge", ("hyper-flux1-dev-8step", 8, 1.0, 0.125, "Euler", "Simple", 3.5)),
    (
        Request(True, "", "hyper-flux1-dev-16step"),
        "flux",
        "forge",
        ("hyper-flux1-dev-16step", 16, 1.0, 0.125, "Euler", "Simple", 3.5),
    ),
    (Request(True, "hyper_sd_dit"), "sd3", "a1111-1.10", ("hyper-sd3-8step-cfg", 8, 5.0, 0.125, "Euler", SIMPLE, None)),
    (Request(True, "hyper_sd_dit"), "sd3", "forge", ("hyper-sd3-8step-cfg", 8, 5.0, 0.125, "Euler", "Simple", None)),
    (
        Request(True, "", "hyper-sd3-16step-cfg"),
        "sd3",
        "a1111-1.10",
        ("hyper-sd3-16step-cfg", 16, 7.0, 0.125, "Euler", "Simple", None),
    ),
]


@pytest.mark.parametrize(("request_", "family", "host", "expected"), CASES)
def test_plan_per_host(request_, family, host, expected):
    plan = plan_for(request_, family, HOSTS[host])
    got = (plan.variant_id, plan.steps, plan.cfg, plan.strength, plan.sampler, plan.scheduler, plan.distilled_cfg)
    assert got == expected
    assert plan.sampler in HOSTS[host].samplers and plan.scheduler in HOSTS[host].schedulers


@pytest.mark.parametrize("host", list(HOSTS))
@pytest.mark.parametrize("variant", ["tcd-sd15", "tcd-sdxl", "tcd-sd21-base"])
def test_without_a_tcd_sampler_tcd_presets_use_euler_and_say_why(host, variant):
    plan = plan_for(Request(True, variant=variant), CATALOG.variant(variant).family, HOSTS[host])
    assert plan.sampler == "Euler"
    assert "this WebUI has no TCD sampler, so Euler is used" in plan.warnings


@pytest.mark.parametrize("host", list(HOSTS))
@pytest.mark.parametrize("variant", ["tcd-sd15", "tcd-sdxl", "tcd-sd21-base", "hyper-sd15-1step", "hyper-sdxl-1step"])
def test_with_the_tcd_sampler_registered_tcd_is_used(tcd_registered, host, variant):
    plan = plan_for(Request(True, variant=variant), CATALOG.variant(variant).family, tcd_registered[host])
    assert plan.sampler == "TCD"
    assert not any("TCD" in w for w in plan.warnings)


def test_tcd_can_still_be_picked_by_name_once_registered(tcd_registered):
    plan = plan_for(Request(True, "pcm", sampler="TCD"), "sd15", tcd_registered["forge"])
    assert plan.sampler == "TCD"


def test_flux_plan_sets_distilled_and_hires_cfg_on_forge_only():
    hires = GenerationContext(hires=True)
    forge = plan_for(Request(True, "flux_turbo"), "flux", FORGE, hires)
    assert (forge.distilled_cfg, forge.hr_cfg, forge.skip_uncond) == (3.5, 1.0, False)
    a1111 = plan_for(Request(True, "flux_turbo"), "flux", A1111_1_10, hires)
    assert (a1111.distilled_cfg, a1111.hr_cfg) == (None, None)


def test_normal_cfg_variants_keep_the_unconditional_pass():
    for variant in ("pcm-sd15-normalcfg-8step", "pcm-sdxl-normalcfg-16step", "hyper-sd3-4step-cfg"):
        plan = plan_for(Request(True, variant=variant), CATALOG.variant(variant).family, A1111_1_10)
        assert plan.cfg > 1 and not plan.skip_uncond
        assert CATALOG.variant(variant).negative_prompt == "yes"


def test_a1111_1_9_has_no_simple_schedule_and_says_so():
    plan = plan_for(Request(True, "hyper_sd_dit"), "sd3", A1111_1_9)
    assert plan.scheduler == "Automatic"
    assert any("Automatic is used" in w for w in plan.warnings)


def test_methods_offered_per_new_family():
    assert {m.id for m in CATALOG.methods_for("flux")} >= {"flux_turbo", "hyper_sd_dit"}
    assert {m.id for m in CATALOG.methods_for("sd3")} >= {"hyper_sd_dit"}
    assert {m.id for m in CATALOG.methods_for("sd2")} >= {"tcd"}


def test_non_commercial_licences_are_flagged():
    assert not CATALOG.method("flux_turbo").commercial_use  # FLUX.1 [dev] Non-Commercial
    assert not CATALOG.method("hyper_sd_dit").commercial_use  # FLUX files: FLUX.1 [dev] Non-Commercial
    assert not CATALOG.method("pcm").commercial_use  # no licence stated for the weights
    assert CATALOG.method("tcd").commercial_use  # MIT


@pytest.mark.parametrize("variant", NEW_VARIANTS, ids=lambda v: v.id)
def test_every_value_is_sourced_and_explained_in_both_languages(variant):
    for key in ("file", "revision", "sha256", "size", "settings", "strength", "license"):
        assert variant.sources.get(key), f"{variant.id}: no source for {key}"
    assert variant.notes.get("en") and variant.notes.get("ja")
    assert variant.file.save_as.startswith("accel-")


@pytest.mark.parametrize("variant", NEW_VARIANTS, ids=lambda v: v.id)
def test_file_size_fits_the_family(variant):
    """A file for another family is the classic catalogue slip (reference/methods.md section 11.3)."""
    megabytes = variant.file.size / 1e6
    expected = {"sd15": (130, 140), "sd2": (130, 140), "sdxl": (390, 400), "sd3": (470, 475), "flux": (690, 1400)}
    low, high = expected[variant.family]
    assert low <= megabytes <= high
