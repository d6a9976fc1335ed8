"""HostCapabilities built from the live sampler and scheduler registries, and every name a preset can emit."""

from __future__ import annotations

import pytest

from lib_accelerator.names import SAMPLERS, SCHEDULES
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.request import Request

CONTEXTS = {
    "txt2img": GenerationContext(),
    "txt2img-hires": GenerationContext(hires=True),
    "img2img": GenerationContext(is_img2img=True),
}


@pytest.fixture(scope="module")
def live(webui, schedule_type):
    from modules import sd_samplers, sd_schedulers

    return {
        "samplers": {s.name for s in sd_samplers.all_samplers},
        "schedules": {s.label for s in sd_schedulers.schedulers},
        "schedule_names": {s.name: s.label for s in sd_schedulers.schedulers},
    }


def test_capabilities_report_the_live_registries(caps, live):
    assert caps.samplers == live["samplers"]
    assert caps.schedulers == live["schedules"]
    # the registries really were read, not an empty or stale list
    assert {"Euler", "Euler a", "DPM++ 2M", "LCM"} <= caps.samplers
    assert {"Automatic", "Karras", "SGM Uniform"} <= caps.schedulers


# (skips the unconditional pass at CFG 1, has hr_cfg, has distilled CFG), read in each host's source:
# reForge's p.hr_cfg is modules/processing.py:1298 at 3b56b268; Classic has neither (modules/processing.py).
EXPECTED_FLAGS = {
    "a1111": (False, False, False),
    "forge": (True, True, True),
    "reforge": (True, True, False),
    "forge_classic": (True, False, False),
}


def test_host_flags_match_the_checkout(caps, webui):
    assert caps.name == webui.kind
    assert (caps.skips_uncond_at_cfg1, caps.has_hr_cfg, caps.has_distilled_cfg) == EXPECTED_FLAGS[webui.kind]


def test_neutral_sampler_names_exist_in_this_host(caps):
    # names.py promises one display name for every WebUI; DESIGN.md supports A1111 >= 1.9 and Forge. TCD is the
    # one the extension brings itself (test_tcd_sampler.py checks it appears once registered).
    listed = {neutral: name for neutral, name in SAMPLERS.items() if neutral != "tcd"}
    missing = {neutral: name for neutral, name in listed.items() if name not in caps.samplers}
    assert missing == {}


def test_neutral_schedule_ids_are_the_hosts_own_names(live):
    """The neutral ids are the WebUI's internal scheduler names; the labels must be the ones it shows.

    A label that drifted (renamed in the WebUI) would make `plan` silently fall back to another schedule.
    """
    drifted = {
        neutral: (SCHEDULES[neutral], label)
        for neutral, label in live["schedule_names"].items()
        if neutral in SCHEDULES and SCHEDULES[neutral] != label
    }
    assert drifted == {}
    # a label the table knows but under a different internal name is drift too
    by_label = {label: neutral for neutral, label in live["schedule_names"].items()}
    renamed = {
        neutral: by_label[label]
        for neutral, label in SCHEDULES.items()
        if label in by_label and by_label[label] != neutral
    }
    assert renamed == {}


@pytest.mark.parametrize("context_name", list(CONTEXTS))
def test_every_builtin_variant_plans_to_names_this_host_lists(caps, catalog, live, context_name):
    from modules import sd_samplers, sd_schedulers

    context = CONTEXTS[context_name]
    problems = []
    for variant in catalog.all_variants():
        request = Request(True, variant=variant.id)
        plan = make_plan(request, resolve_variant(catalog, request, variant.family), caps, variant.file.stem, context)
        if plan.sampler not in live["samplers"]:
            problems.append(f"{variant.id}: sampler {plan.sampler!r}")
        # what the WebUI itself looks the names up with when it samples
        if sd_samplers.find_sampler_config(plan.sampler) is None:
            problems.append(f"{variant.id}: find_sampler_config({plan.sampler!r}) is None")
        if plan.scheduler not in live["schedules"] or plan.scheduler not in sd_schedulers.schedulers_map:
            problems.append(f"{variant.id}: schedule type {plan.scheduler!r}")
        if context.hires and caps.has_hr_cfg:
            assert plan.hr_cfg == plan.cfg
        else:
            assert plan.hr_cfg is None
    assert problems == []


def test_the_adapter_chosen_is_this_checkouts_host(webui, host):
    # feature detection (what imports) and the tree agree on which WebUI this is
    assert host.name == webui.kind
