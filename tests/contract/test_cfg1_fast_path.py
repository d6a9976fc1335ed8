"""The CFG-1 fast path (host.start/cancel_cfg1_fast_path) against the WebUI's real option and job code.

It borrows the WebUI's "skip early CFG" option for one job through `override_settings`, so it depends
on that option's name and infotext label, on the CFG denoiser reading it, and on `process_images`
restoring it afterwards.
"""

from __future__ import annotations

import inspect

import pytest

from lib_accelerator.webui.hosts import common
from tests.contract.test_apply_plan import make_txt2img


@pytest.fixture()
def option(host, webui):
    from modules import shared

    key = common.SKIP_UNCOND_OPTION
    if key not in shared.opts.data_labels:
        pytest.skip(f"this WebUI has no {key!r} option (A1111 < 1.10): the fast path stays off")
    return key


def test_option_and_infotext_label_are_the_webuis(host, option):
    from modules import sd_samplers_cfg_denoiser, shared

    assert shared.opts.data_labels[option].infotext == common.SKIP_UNCOND_INFOTEXT
    assert shared.opts.get_default(option) == 0
    # the denoiser reads the option on every step and records it under that infotext label
    source = inspect.getsource(sd_samplers_cfg_denoiser.CFGDenoiser.forward)
    assert f"opts.{option}" in source
    if f'extra_generation_params["{common.SKIP_UNCOND_INFOTEXT}"]' not in source:
        # Forge Classic records it elsewhere; the fast path never starts there (ldm_patched skips by itself)
        assert host.capabilities().skips_uncond_at_cfg1
        return


def test_without_the_option_the_fast_path_does_nothing(webui, host):
    from modules import shared

    if common.SKIP_UNCOND_OPTION in shared.opts.data_labels:
        pytest.skip("this WebUI has the option (checked by the other tests)")
    p = make_txt2img(enable_hr=False)
    before = p.override_settings
    assert host.start_cfg1_fast_path(p) is False
    assert p.override_settings is before and before == {}


@pytest.mark.parametrize("cancelled", [False, True], ids=["cfg-1", "cancelled-in-process"])
def test_process_images_applies_and_restores_the_option(host, option, monkeypatch, cancelled):
    from modules import processing, sd_models, shared

    monkeypatch.delitem(shared.opts.data, option, raising=False)  # a fresh install: not in config.json
    for module, name in (
        (sd_models, "reload_model_weights"),  # A1111
        (sd_models, "apply_token_merging"),  # A1111
        (processing, "manage_model_and_prompt_cache"),  # Forge
    ):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, lambda *args, **kwargs: (None, False))
    seen = {}

    def inner(p):
        seen["applied"] = getattr(shared.opts, option)
        if cancelled:  # process() found the final plan's CFG is not 1
            host.cancel_cfg1_fast_path(p)
        seen["sampling"] = getattr(shared.opts, option)
        if seen["sampling"]:  # what the denoiser writes while it skips the unconditional pass
            p.extra_generation_params[common.SKIP_UNCOND_INFOTEXT] = seen["sampling"]
        host.hide_fast_path_infotext(p)  # postprocess_batch, before the infotext is made
        return "processed"

    monkeypatch.setattr(processing, "process_images_inner", inner)
    shared_dict: dict = {}
    p = make_txt2img(enable_hr=False, override_settings=shared_dict)
    assert host.start_cfg1_fast_path(p) is True  # before_process
    assert p.override_settings is not shared_dict and shared_dict == {}
    assert option in shared.opts.data

    assert processing.process_images(p) == "processed"
    assert seen["applied"] == 1.0
    assert seen["sampling"] == (0.0 if cancelled else 1.0)
    assert common.SKIP_UNCOND_INFOTEXT not in p.extra_generation_params  # pasting it back would stick
    assert shared.opts.data[option] == 0.0  # the user's value is back after the job
