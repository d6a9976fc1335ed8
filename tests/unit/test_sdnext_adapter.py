"""SD.Next adapter decisions that need no SD.Next: the base variant from the pipeline class, the Beta schedule, and
which of Wan 2.2's two expert files are tagged for the experts SD.Next loaded."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from lib_accelerator import families
from lib_accelerator.compatibility import PlanError
from lib_accelerator.families import LoadedModel
from lib_accelerator.plan import GenerationContext, make_plan, resolve_variant
from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog
from lib_accelerator.request import Request
from lib_accelerator.webui.hosts import sdnext
from tests.unit.hosts import A1111_1_10

CATALOG = load_catalog(builtin_presets_dir())
SDNEXT = replace(A1111_1_10, name="sdnext", schedulers=frozenset(sdnext.SCHEDULE_FIELDS), has_shift=True)
HIGH = "accel-wan2.2_t2v_A14b_high_noise_lora_rank64_lightx2v_4step_1217"
LOW = "accel-wan2.2_t2v_A14b_low_noise_lora_rank64_lightx2v_4step_1217"
EXPERT = object()


@pytest.mark.parametrize(
    ("family", "pipeline", "name", "base"),
    [
        (families.QWEN_IMAGE, "QwenImagePipeline", "/m/Diffusers/Qwen-Image-tiny", "original"),
        (families.QWEN_IMAGE, "QwenImageEditPlusPipeline", "/m/Diffusers/Qwen-Image-Edit-2509-tiny", "edit-2509"),
        (families.QWEN_IMAGE, "QwenImageEditPlusPipeline", "/m/Diffusers/Qwen-Image-Edit-2511-tiny", "edit-2511"),
        (families.QWEN_IMAGE, "QwenImageEditPipeline", "/m/Diffusers/Qwen-Image-Edit", "edit"),
        (families.WAN22, "WanPipeline", "/m/Diffusers/Wan2_2-T2V-A14B-tiny", "t2v-a14b"),
        (families.WAN22, "WanImageToVideoPipeline", "/m/Diffusers/Wan2.2-I2V-A14B", "i2v-a14b"),
        (families.Z_IMAGE, "ZImagePipeline", "/m/Diffusers/Z-Image-Turbo-tiny", "turbo"),
        (families.Z_IMAGE, "ZImagePipeline", "/m/Diffusers/Z-Image-tiny", "base"),
        (families.FLUX2, "Flux2KleinPipeline", "/m/Diffusers/FLUX.2-klein-4B-tiny", "klein"),
        (families.FLUX2, "Flux2Pipeline", "/m/Diffusers/FLUX.2-dev", "dev"),
    ],
)
def test_base_variant_from_pipeline_and_name(family: str, pipeline: str, name: str, base: str) -> None:
    assert sdnext._base_variant(family, pipeline, name) == base


def test_beta_schedule_is_beta_sigmas() -> None:
    resolution = resolve_variant(CATALOG, Request(True, "distilled"), LoadedModel(families.Z_IMAGE, "turbo"))
    plan = make_plan(Request(True, "distilled"), resolution, SDNEXT, "", GenerationContext())
    p = SimpleNamespace()
    sdnext.Adapter().set_schedule(p, plan)
    assert (plan.scheduler, p.schedulers_sigma) == ("Beta", "betas")
    assert (p.schedulers_shift, p.schedulers_dynamic_shift) == (9.0, False)


@pytest.mark.parametrize(
    ("transformer", "transformer_2", "tagged"),
    [
        (EXPERT, EXPERT, (HIGH, LOW)),  # model_wan_stage "combined"
        (None, EXPERT, (LOW,)),  # "low noise", SD.Next's default
        (EXPERT, None, (HIGH,)),  # "high noise"
    ],
)
def test_each_loaded_wan_expert_gets_its_file(transformer: Any, transformer_2: Any, tagged: tuple[str, ...]) -> None:
    model = SimpleNamespace(transformer=transformer, transformer_2=transformer_2)
    assert sdnext.expert_lora_names(model, HIGH) == tagged


def test_other_loras_are_tagged_as_they_are() -> None:
    qwen = SimpleNamespace(transformer=EXPERT)  # no transformer_2
    assert sdnext.expert_lora_names(qwen, "accel-Qwen-Image-Lightning-4steps-V1.0-bf16") == (
        "accel-Qwen-Image-Lightning-4steps-V1.0-bf16",
    )
    assert sdnext.expert_lora_names(SimpleNamespace(transformer=EXPERT, transformer_2=EXPERT), "x") == ("x",)


def _processing(prompt: str) -> SimpleNamespace:
    return SimpleNamespace(
        steps=20, cfg_scale=6.0, sampler_name="Euler a", all_prompts=[prompt], extra_generation_params={}
    )


def test_apply_plan_tags_the_low_noise_twin_on_a_combined_wan(monkeypatch: pytest.MonkeyPatch) -> None:
    resolution = resolve_variant(CATALOG, Request(True, "wan22_lightning"), LoadedModel(families.WAN22, "t2v-a14b"))
    plan = make_plan(Request(True, "wan22_lightning"), resolution, SDNEXT, HIGH, GenerationContext())
    adapter = sdnext.Adapter()
    p = _processing("a cube")
    monkeypatch.setattr(adapter, "loaded_model", lambda: SimpleNamespace(transformer=None, transformer_2=EXPERT))
    adapter.apply_plan(p, plan)
    assert p.all_prompts == [f"a cube <lora:{LOW}:1>"]  # the high-noise expert is not loaded: no tag for it
    monkeypatch.setattr(adapter, "loaded_model", lambda: SimpleNamespace(transformer=EXPERT, transformer_2=EXPERT))
    p = _processing(f"a cube <lora:{HIGH}:0.5>")  # pasted: the tags are set, never doubled
    adapter.apply_plan(p, plan)
    assert p.all_prompts == [f"a cube <lora:{HIGH}:1> <lora:{LOW}:1>"]
    assert (p.steps, p.cfg_scale, p.schedulers_shift, p.schedulers_timestep_spacing) == (4, 1.0, 5.0, "trailing")


def test_chroma_is_its_own_family_and_gets_no_flux_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    fake = SimpleNamespace(sd_model_type="chroma", sd_loaded=True, sd_model=SimpleNamespace())
    monkeypatch.setitem(sys.modules, "modules", SimpleNamespace(shared=fake))
    monkeypatch.setitem(sys.modules, "modules.shared", fake)
    assert sdnext.Adapter().loaded_family() == families.CHROMA
    with pytest.raises(PlanError, match="has no file for Chroma models"):
        resolve_variant(CATALOG, Request(True, "hyper_sd_dit", "hyper-flux1-dev-8step"), LoadedModel(families.CHROMA))
