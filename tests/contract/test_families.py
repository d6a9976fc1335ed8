"""FLUX and SD3 in Forge: family detection from Forge's real engine classes, and a FLUX plan on a real `p`.

Forge's `Flux` and `StableDiffusion3` engines are constructed for real, from the configs huggingface_guess
recognises, with tiny stand-ins for their networks, tokenizers and VAE (no weights: no FLUX or SD3 checkpoint
fits this kind of machine). Their constructors set what detection relies on: the class, `model_config.
huggingface_repo`, `is_sd3`, `use_distilled_cfg_scale`. The FLUX plan is then applied to a real txt2img object and
followed into Forge's own conditioning code, which must hand the distilled CFG to the engine as FLUX guidance.
"""

from __future__ import annotations

import types

import pytest

from lib_accelerator.families import FLUX, SD3, family_from_flags
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.request import Request
from tests.contract.test_apply_plan import make_txt2img

# huggingface_guess's templates leave out in_channels, which the loader reads from the weights
IN_CHANNELS = {"Flux": 64, "FluxSchnell": 64, "SD3": 16}


@pytest.fixture(scope="module")
def forge(webui):
    if not webui.forge:
        pytest.skip("Forge engine classes: this checkout is A1111")
    import torch
    from backend.diffusion_engine.flux import Flux
    from backend.diffusion_engine.sd35 import StableDiffusion3
    from huggingface_guess import detection, model_list

    return types.SimpleNamespace(
        torch=torch, Flux=Flux, StableDiffusion3=StableDiffusion3, detection=detection, model_list=model_list
    )


def _text_encoder(torch):
    encoder = torch.nn.Module()
    encoder.transformer = torch.nn.Module()
    encoder.transformer.text_model = torch.nn.Module()
    encoder.transformer.text_model.embeddings = torch.nn.Module()
    encoder.transformer.text_model.embeddings.token_embedding = torch.nn.Embedding(8, 4)
    return encoder


def _components(torch, *, t5_count: int):
    tokenizer = types.SimpleNamespace(bos_token_id=0, eos_token_id=1, pad_token_id=1, get_vocab=lambda: {})
    vae = torch.nn.Module()
    vae.config = types.SimpleNamespace(down_block_types=[None] * 4, latent_channels=16)
    transformer = torch.nn.Module()
    transformer.storage_dtype = transformer.computation_dtype = torch.float32
    transformer.load_device = transformer.offload_device = transformer.initial_device = torch.device("cpu")
    parts = {"vae": vae, "transformer": transformer}
    for suffix in ("", "_2", "_3")[: 2 + t5_count]:
        parts[f"text_encoder{suffix}"] = _text_encoder(torch)
        parts[f"tokenizer{suffix}"] = tokenizer
    return parts


def build_engine(forge, config_name: str):
    """Forge's engine for this architecture, as `backend.loader` picks and constructs it."""
    template = getattr(forge.model_list, config_name)
    config = forge.detection.model_config_from_unet_config(
        {**template.unet_config, "in_channels": IN_CHANNELS[config_name]}
    )
    assert type(config) is template
    cls = forge.Flux if config_name.startswith("Flux") else forge.StableDiffusion3
    assert any(isinstance(config, guess) for guess in cls.matched_guesses)
    return cls(config, _components(forge.torch, t5_count=1 if cls is forge.StableDiffusion3 else 0))


@pytest.fixture(scope="module")
def flux_dev(forge):
    return build_engine(forge, "Flux")


def test_flux_dev_engine_is_flux_by_class_and_by_repo(forge, host, flux_dev):
    assert type(flux_dev).__name__ == "Flux"
    assert "flux" in flux_dev.model_config.huggingface_repo.lower()
    assert flux_dev.use_distilled_cfg_scale is True  # FLUX.1-dev takes the distilled CFG as guidance
    flags = host.model_flags(flux_dev)
    assert flags.is_flux and not (flags.is_sd1 or flags.is_sd2 or flags.is_sdxl or flags.is_sd3)
    assert family_from_flags(flags) == FLUX


@pytest.mark.parametrize("signal", ["class", "repo"])
def test_either_flux_signal_alone_is_enough(forge, host, flux_dev, monkeypatch, signal):
    """host.model_flags reads two facts; Forge renaming one of them must not lose FLUX."""
    if signal == "class":
        monkeypatch.setattr(flux_dev.model_config, "huggingface_repo", "someone/model")
    else:
        renamed = type("RenamedEngine", (type(flux_dev),), {})
        monkeypatch.setattr(flux_dev, "__class__", renamed)
    assert family_from_flags(host.model_flags(flux_dev)) == FLUX


def test_flux_schnell_engine_is_flux_without_distilled_cfg(forge, host):
    schnell = build_engine(forge, "FluxSchnell")
    assert "schnell" in schnell.model_config.huggingface_repo.lower()
    assert schnell.use_distilled_cfg_scale is False
    assert family_from_flags(host.model_flags(schnell)) == FLUX


def test_sd3_engine_is_sd3(forge, host):
    sd3 = build_engine(forge, "SD3")
    assert type(sd3).__name__ == "StableDiffusion3" and sd3.is_sd3 is True
    assert sd3.use_distilled_cfg_scale is False
    assert family_from_flags(host.model_flags(sd3)) == SD3


def test_loaded_family_follows_shared_sd_model(forge, host, flux_dev, monkeypatch):
    from modules import sd_models

    monkeypatch.setattr(sd_models.model_data, "get_sd_model", lambda: flux_dev)
    assert host.loaded_family() == FLUX


# ---------------------------------------------------------------- distilled CFG on a real p


def test_forge_processing_has_distilled_and_hires_cfg(forge, caps):
    from modules import processing

    p = make_txt2img()
    assert hasattr(p, "distilled_cfg_scale") and hasattr(p, "hr_distilled_cfg") and hasattr(p, "hr_cfg")
    assert hasattr(processing.StableDiffusionProcessingImg2Img, "distilled_cfg_scale")
    assert caps.has_distilled_cfg and caps.has_hr_cfg


def _flux_plan(catalog, caps, method: str):
    request = Request(True, method)
    resolution = resolve_variant(catalog, request, FLUX)
    return make_plan(request, resolution, caps, resolution.variant.file.stem, GenerationContext(hires=True))


@pytest.mark.parametrize("method", ["flux_turbo", "hyper_sd_dit"])
def test_flux_plan_sets_distilled_and_hires_cfg(forge, host, caps, catalog, method):
    p = make_txt2img(prompts=["a cat"], distilled_cfg_scale=7.0, hr_distilled_cfg=6.0, hr_cfg=7.0, cfg_scale=5.0)
    plan = _flux_plan(catalog, caps, method)
    host.apply_plan(p, plan)
    assert (p.steps, p.cfg_scale, p.sampler_name, p.scheduler) == (plan.steps, 1.0, "Euler", "Simple")
    assert p.distilled_cfg_scale == 3.5 and p.hr_distilled_cfg == 3.5
    assert p.hr_cfg == 1.0  # else the hires pass would run at the UI's Hires CFG
    assert (p.hr_sampler_name, p.hr_scheduler, p.hr_second_pass_steps) == ("Euler", "Simple", plan.steps)


def _stub_text_engines(flux, torch, monkeypatch):
    """Stand-in text encoders: FLUX guidance comes from the prompt list, not from the text."""

    def clip_l(prompt):
        return torch.zeros(len(prompt), 77, 4), torch.zeros(len(prompt), 4)

    monkeypatch.setattr(flux, "text_processing_engine_l", clip_l, raising=False)
    monkeypatch.setattr(flux, "text_processing_engine_t5", lambda prompt: torch.zeros(len(prompt), 256, 4))
    monkeypatch.setattr(flux, "extra_generation_params", {}, raising=False)
    monkeypatch.setattr(flux, "sd_checkpoint_info", None, raising=False)


def _guidance(multicond) -> float:
    schedules = multicond.batch[0][0].schedules
    return float(schedules[0].cond["guidance"].reshape(-1)[0])  # one prompt: a 0-dim tensor per prompt


def test_forge_hands_the_planned_distilled_cfg_to_flux_as_guidance(forge, host, caps, catalog, flux_dev, monkeypatch):
    """Forge's own setup_conds / calculate_hr_conds with the real Flux engine: the guidance it builds is the
    plan's 3.5 in both passes, and CFG 1 drops the unconditional pass."""
    from modules import sd_models

    monkeypatch.setattr(sd_models.model_data, "get_sd_model", lambda: flux_dev)
    _stub_text_engines(flux_dev, forge.torch, monkeypatch)
    p = make_txt2img(prompts=["a cat"], distilled_cfg_scale=7.0, hr_distilled_cfg=6.0, hr_cfg=7.0, cfg_scale=5.0)
    host.apply_plan(p, _flux_plan(catalog, caps, "flux_turbo"))

    p.prompts, p.negative_prompts = p.all_prompts[:1], p.all_negative_prompts[:1]
    p.parse_extra_network_prompts()  # takes the <lora:...> tag out, as process_images_inner does
    p.setup_conds()
    assert p.uc is None  # CFG 1
    assert _guidance(p.c) == 3.5

    p.hr_prompts, p.hr_negative_prompts = p.all_hr_prompts[:1], p.all_hr_negative_prompts[:1]
    p.hr_extra_network_data = p.extra_network_data
    p.hr_upscale_to_x, p.hr_upscale_to_y = 128, 128
    p.hr_c = None
    p.calculate_hr_conds()
    assert p.hr_uc is None  # hires CFG 1
    assert _guidance(p.hr_c) == 3.5


# ---------------------------------------------------------------- A1111


def test_a1111_has_no_distilled_cfg_and_a_flux_plan_leaves_it_alone(webui, host, caps, catalog):
    if webui.forge:
        pytest.skip("A1111 behaviour")
    p = make_txt2img(prompts=["a cat"])
    plan = _flux_plan(catalog, caps, "flux_turbo")
    assert plan.distilled_cfg is None
    assert (plan.hr_cfg is None) != caps.has_hr_cfg  # reForge has A1111's front end with Forge's p.hr_cfg
    host.apply_plan(p, plan)
    assert not hasattr(p, "distilled_cfg_scale") and not hasattr(p, "hr_distilled_cfg")
