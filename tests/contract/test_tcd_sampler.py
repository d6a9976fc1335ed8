"""webui/tcd_sampler.py in the WebUI's real sampler registry: registration, lookups, create_sampler, a run.

No checkpoint is loaded. `create_sampler` gets a stand-in model that carries what the WebUI's k-diffusion sampler
reads from `shared.sd_model` (A1111: `alphas_cumprod` for its CompVisDenoiser; Forge: the real `Prediction` object
its ForgeScheduleLinker wraps), so the sampler object, its noise table and its infotext are the WebUI's own.
Every test restores the registry, so the other contract modules see the WebUI as it ships.
"""

from __future__ import annotations

import inspect
import logging
import types

import pytest

from lib_accelerator import names
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.request import Request
from tests.contract.test_apply_plan import make_txt2img

SD_BETAS = (0.00085, 0.012)  # SD 1.x/SDXL scaled-linear beta schedule


@pytest.fixture()
def glue(webui):
    from lib_accelerator.webui import tcd_sampler

    return tcd_sampler


@pytest.fixture()
def registry(webui, monkeypatch):
    """The WebUI's sampler registry, put back exactly as it was after the test."""
    from modules import sd_samplers

    saved_list = list(sd_samplers.all_samplers)
    saved_map = dict(sd_samplers.all_samplers_map)
    set_samplers = sd_samplers.set_samplers  # a test may replace it
    yield sd_samplers
    sd_samplers.all_samplers[:] = saved_list  # the same list object: `samplers` aliases it
    sd_samplers.all_samplers_map.clear()
    sd_samplers.all_samplers_map.update(saved_map)
    set_samplers()
    cached = getattr(sd_samplers, "get_sampler_and_scheduler", None)
    if hasattr(cached, "cache_clear"):
        cached.cache_clear()


def _names(sd_samplers):
    return [s.name for s in sd_samplers.all_samplers]


def test_the_webui_ships_no_tcd_sampler(registry, host):
    # the reason the extension brings one (A1111 1.9.4 / 1.10.1 and Forge: grep finds none either)
    assert "TCD" not in _names(registry)
    assert "TCD" not in host.capabilities().samplers  # so a plan falls back until it is registered


def test_registration_makes_tcd_a_sampler_like_the_others(registry, glue, host):
    glue.register()
    sd_samplers = registry
    assert _names(sd_samplers).count("TCD") == 1
    assert sd_samplers.all_samplers_map["TCD"].name == "TCD"
    assert sd_samplers.find_sampler_config("TCD") is sd_samplers.all_samplers_map["TCD"]
    assert sd_samplers.samplers_map["tcd"] == "TCD" and sd_samplers.samplers_map["k_tcd"] == "TCD"
    assert "TCD" in sd_samplers.visible_sampler_names()  # the Sampling method dropdown's choices
    assert "TCD" in [s.name for s in sd_samplers.samplers_for_img2img]
    assert names.SAMPLERS["tcd"] in host.capabilities().samplers
    # infotext paste and the API go through the WebUI's own name resolution
    if not hasattr(sd_samplers, "get_sampler_from_infotext"):  # Forge Classic: the A1111 1.7 lookup
        assert sd_samplers.samplers_map["tcd"] == "TCD"
        return
    assert sd_samplers.get_sampler_from_infotext({"Sampler": "TCD", "Schedule type": "SGM Uniform"}) == "TCD"
    assert sd_samplers.get_sampler_and_scheduler("TCD", "Karras") == ("TCD", "Karras")


def test_registration_is_idempotent(registry, glue):
    glue.register()
    glue.register()  # the WebUI runs on_before_ui again when the UI is reloaded
    assert _names(registry).count("TCD") == 1


def test_a_tcd_sampler_the_host_already_has_is_used_not_replaced(registry, glue, host, monkeypatch):
    from modules import sd_samplers_common

    theirs = sd_samplers_common.SamplerData("TCD", lambda model: None, [], {})
    monkeypatch.setitem(registry.all_samplers_map, "TCD", theirs)
    glue.register()
    assert registry.all_samplers_map["TCD"] is theirs
    assert "TCD" not in _names(registry)  # nothing of ours was added


def test_a_failing_registration_is_logged_and_leaves_the_webui_as_it_was(registry, glue, host, monkeypatch, caplog):
    before = _names(registry)

    def broken():
        raise RuntimeError("simulated")

    monkeypatch.setattr(registry, "set_samplers", broken)
    with caplog.at_level(logging.ERROR, logger="accelerator"):
        glue.register()  # must not raise
    assert "could not add a TCD sampler" in caplog.text
    assert _names(registry) == before and "TCD" not in registry.all_samplers_map
    assert "TCD" not in host.capabilities().samplers


def test_plans_use_tcd_once_it_is_registered(registry, glue, host, catalog):
    glue.register()
    caps = host.capabilities()
    for variant_id in ("hyper-sd15-1step", "hyper-sdxl-1step"):
        request = Request(True, variant=variant_id)
        resolution = resolve_variant(catalog, request, catalog.variant(variant_id).family)
        plan = make_plan(request, resolution, caps, "x", GenerationContext())
        assert plan.sampler == "TCD"
        assert not any("no TCD sampler" in w for w in plan.warnings)


# ---------------------------------------------------------------- a sampler object and a run


def _stand_in_model(webui, torch):
    betas = torch.linspace(SD_BETAS[0] ** 0.5, SD_BETAS[1] ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas_cumprod = torch.cumprod(1.0 - betas, dim=0).float()
    model = types.SimpleNamespace(
        is_sdxl=False,
        is_sd3=False,
        parameterization="eps",
        alphas_cumprod=alphas_cumprod,
        model=types.SimpleNamespace(conditioning_key="crossattn"),
        device=torch.device("cpu"),
    )
    if webui.forge:
        from backend.modules.k_prediction import Prediction

        predictor = Prediction(prediction_type="epsilon", beta_schedule="linear", linear_start=SD_BETAS[0],
                               linear_end=SD_BETAS[1])  # fmt: skip
        model.forge_objects = types.SimpleNamespace(unet=types.SimpleNamespace(model=types.SimpleNamespace(
            predictor=predictor)))  # fmt: skip
    return model


@pytest.fixture()
def torch(webui):
    import torch

    return torch


@pytest.fixture()
def loaded(webui, torch, monkeypatch):
    """`shared.sd_model` is the stand-in for this test (both WebUIs read it through model_data)."""
    from modules import sd_models

    model = _stand_in_model(webui, torch)
    monkeypatch.setattr(sd_models.model_data, "get_sd_model", lambda: model)
    return model


class _SeededNoise:
    """What the WebUI puts at `p.rng`: one seeded normal sample per call."""

    def __init__(self, torch, shape):
        self.generator = torch.Generator().manual_seed(1234)
        self.shape, self.torch, self.calls = shape, torch, 0

    def next(self):
        self.calls += 1
        return self.torch.randn(self.shape, generator=self.generator)


def test_create_sampler_builds_the_tcd_sampler(registry, glue, loaded):
    glue.register()
    sampler = registry.create_sampler("TCD", loaded)
    assert isinstance(sampler, glue.TCDSampler)
    assert sampler.config.name == "TCD" and sampler.func is glue.sample_tcd
    # the keyword arguments KDiffusionSampler.sample derives from the function's signature
    parameters = inspect.signature(sampler.func).parameters
    assert "sigmas" in parameters
    assert not {"eta", "n", "sigma_min", "sigma_max", "s_noise"} & set(parameters)
    table = glue.model_sigma_table(sampler.model_wrap)
    assert len(table.sigmas) == 1000 and table.sigmas[0] == pytest.approx(0.0292, abs=1e-3)


def test_initialize_passes_gamma_and_the_models_noise_levels(registry, glue, loaded, torch, monkeypatch):
    import k_diffusion.sampling

    monkeypatch.setattr(k_diffusion.sampling, "torch", k_diffusion.sampling.torch)  # initialize() swaps it
    glue.register()
    sampler = registry.create_sampler("TCD", loaded)
    p = make_txt2img(enable_hr=False)
    extra = sampler.initialize(p)
    assert extra["gamma"] == 0.3 and p.extra_generation_params["TCD gamma"] == 0.3
    assert extra["sigma_table"] == glue.model_sigma_table(sampler.model_wrap)
    p.eta = 0.6  # the API's `eta` field and the X/Y/Z "Eta" axis
    assert sampler.initialize(p)["gamma"] == 0.6
    p.eta = 1.5
    with pytest.raises(ValueError, match="between 0 and 1"):
        sampler.initialize(p)


def test_flow_models_are_refused_with_a_clear_message(registry, glue, loaded, webui, monkeypatch):
    glue.register()
    sampler = registry.create_sampler("TCD", loaded)
    if webui.forge:
        from backend.modules.k_prediction import PredictionFlux

        monkeypatch.setattr(sampler.model_wrap, "predictor", PredictionFlux())
    else:
        monkeypatch.setattr(loaded, "is_sd3", True, raising=False)
    with pytest.raises(RuntimeError, match="TCD sampler works with SD 1.5, SD 2.x and SDXL"):
        sampler.initialize(make_txt2img(enable_hr=False))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0])
def test_a_run_on_torch_tensors_matches_the_core_on_numpy(registry, glue, loaded, torch, monkeypatch, gamma):
    """The WebUI's sampler object, its schedule (SGM Uniform, 4 steps) and its seeded noise path (TorchHijack
    -> p.rng), with a small analytic denoiser in place of the UNet; the same steps through lib_accelerator.tcd on
    float64 numpy arrays must give the same latent."""
    import k_diffusion.sampling
    import numpy as np

    from lib_accelerator import tcd

    monkeypatch.setattr(k_diffusion.sampling, "torch", k_diffusion.sampling.torch)
    glue.register()
    sampler = registry.create_sampler("TCD", loaded)
    shape = (1, 4, 8, 8)
    p = make_txt2img(enable_hr=False, scheduler="SGM Uniform")
    p.eta = gamma
    p.rng = _SeededNoise(torch, shape)
    extra = sampler.initialize(p)  # puts the WebUI's TorchHijack(p) into k-diffusion
    sigmas = sampler.get_sigmas(p, 4)
    assert len(sigmas) == 5 and float(sigmas[-1]) == 0.0

    def denoiser(x, sigma, **kwargs):  # D(x, sigma): shrinks towards a fixed pattern
        return x / (1 + sigma.view(-1, 1, 1, 1) ** 2) + 0.1

    seen = []
    x0 = torch.randn(shape, generator=torch.Generator().manual_seed(7)) * float(sigmas[0])
    out = sampler.func(denoiser, x0, sigmas, extra_args={}, callback=lambda d: seen.append(d["i"]), disable=True,
                       **extra)  # fmt: skip
    assert seen == [0, 1, 2, 3]
    assert p.rng.calls == (0 if gamma == 0.0 else 3)  # one draw per noisy step, none for the last

    replay = _SeededNoise(torch, shape)
    levels = [float(s) for s in sigmas]

    def denoise_np(x, i):
        return x / (1 + levels[i] ** 2) + 0.1

    expected = tcd.sample(denoise_np, x0.double().numpy(), levels, gamma=gamma, table=extra["sigma_table"],
                          noise=lambda s, s_next: replay.next().double().numpy())  # fmt: skip
    np.testing.assert_allclose(out.double().numpy(), expected, rtol=1e-4, atol=1e-5)
