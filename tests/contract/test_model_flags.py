"""The model attributes `host.model_flags` reads are the ones the real WebUI sets, for every family.

No checkpoint is loaded. A1111: its own `load_model_weights` runs on lightweight stand-ins up to the point
where it copies weights. Forge: the engine classes are imported, the configs come from its real
huggingface_guess, the engine is picked by the loader's rule, and the flags each engine sets are read from
its source. The attribute names are checked against the WebUI's code, so a rename there fails here.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types

import pytest

from lib_accelerator.families import FLUX, SD2, SD3, SD15, SDXL, family_from_flags

# Flags that describe a variant within a family (an inpainting UNet), not the family itself.
NOT_FAMILY_FLAGS = {"is_inpaint", "is_sdxl_inpaint"}
# An SDXL checkpoint has this key; SSD-1B (a pruned SDXL) does not (a fact about the checkpoints).
SDXL_MIDDLE_BLOCK_KEY = "model.diffusion_model.middle_block.1.transformer_blocks.0.attn1.to_q.weight"
SD3_KEY = "model.diffusion_model.x_embedder.proj.weight"


def _flags_read_by_host(host) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(host.model_flags)))
    return {
        node.args[1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and str(node.args[1].value).startswith("is_")
    }


def _assigned_flags(source: str, owner: str) -> dict[str, list[ast.expr]]:
    """`owner.is_* = value` assignments in `source`: flag name -> assigned expressions."""
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == owner
                and target.attr.startswith("is_")
            ):
                found.setdefault(target.attr, []).append(node.value)
    return found


def test_host_reads_the_family_flags(host):
    # the contract the rest of this file checks against the WebUI
    assert _flags_read_by_host(host) == {"is_sd1", "is_sd2", "is_sdxl", "is_sd3", "is_ssd"}


# ---------------------------------------------------------------- A1111


@pytest.fixture(scope="module")
def a1111(webui):
    if webui.forge:
        pytest.skip("A1111 model flags: this checkout is Forge")
    from modules import sd_models

    return sd_models


# Where each A1111-style host sets the family flags, the object it sets them on, and the flags it must set.
FLAG_SOURCES = {
    "a1111": ("modules/sd_models.py", "model", {"is_sd1", "is_sd2", "is_sdxl", "is_ssd"}),
    "reforge": ("modules/sd_models.py", "model", {"is_sd1", "is_sd2", "is_sdxl", "is_ssd"}),
    "forge_classic": ("modules_forge/forge_loader.py", "sd_model", {"is_sd1", "is_sd2", "is_sdxl"}),
}


def test_a1111_sets_the_flags_host_reads(a1111, webui, host):
    relative, owner, required = FLAG_SOURCES[webui.kind]
    written = set(_assigned_flags((webui.root / relative).read_text(encoding="utf-8"), owner)) - NOT_FAMILY_FLAGS
    read = _flags_read_by_host(host)
    assert required <= written, "a flag the host adapter relies on is no longer set"
    assert written <= read, f"the WebUI sets family flags host.py does not read: {sorted(written - read)}"


A1111_CASES = {
    # name: (stand-in attributes, state dict keys, expected family)
    "sd1": ({"cond_stage_model": types.SimpleNamespace()}, [], SD15),
    "sd2": ({"cond_stage_model": types.SimpleNamespace(model=object())}, [], SD2),
    "sdxl": ({"conditioner": object()}, [SDXL_MIDDLE_BLOCK_KEY], SDXL),
    "ssd": ({"conditioner": object()}, [], None),
    "sd3": ({}, [SD3_KEY], SD3),
}


class _WeightsReached(Exception):
    """Raised by the stand-in when the WebUI starts copying weights: the flags are set by then."""


@pytest.mark.parametrize("case", list(A1111_CASES))
def test_a1111_load_model_weights_flags_give_the_family(a1111, webui, host, monkeypatch, case):
    if webui.kind != "a1111":
        pytest.skip("A1111's own load_model_weights; reForge and Classic load through ldm_patched (flags: above)")
    """The WebUI's own `load_model_weights` on a stand-in model, up to the point where it copies weights.

    1.10 sets the flags in `set_model_type`, 1.9 inline; either way this runs the real code. The SDXL
    and SSD adapters that rebuild the network are left out: the stand-in has no network.
    """
    from modules import sd_hijack, sd_models_xl

    if case == "sd3" and not hasattr(a1111, "set_model_type"):
        pytest.skip("SD3 support (is_sd3) arrived in A1111 1.10")
    attributes, keys, expected = A1111_CASES[case]

    def stop(*args, **kwargs):
        raise _WeightsReached

    model = types.SimpleNamespace(**attributes, load_state_dict=stop)
    monkeypatch.setattr(sd_models_xl, "extend_sdxl", lambda model: None)
    monkeypatch.setattr(sd_hijack.model_hijack, "convert_sdxl_to_ssd", lambda model: None)
    monkeypatch.setattr(a1111.SkipWritingToConfig, "skip", True)  # leave opts.sd_model_checkpoint alone
    checkpoint = types.SimpleNamespace(calculate_shorthash=lambda: "0123456789", title="stand-in")
    timer = types.SimpleNamespace(record=lambda *args, **kwargs: None)
    with pytest.raises(_WeightsReached):
        a1111.load_model_weights(model, checkpoint, dict.fromkeys(keys), timer)
    assert family_from_flags(host.model_flags(model)) == expected


def test_a1111_model_data_starts_without_a_model(a1111):
    # ui_state.py asks `sd_models.model_data.sd_model` (not `shared.sd_model`, which would load one)
    assert hasattr(a1111, "model_data")
    assert a1111.model_data.sd_model is None


# ---------------------------------------------------------------- Forge

FORGE_ENGINES = {
    # class name: (module under backend.diffusion_engine, flags its __init__ sets)
    "StableDiffusion": ("sd15", {"is_sd1"}),
    "StableDiffusion2": ("sd20", {"is_sd2"}),
    "StableDiffusionXL": ("sdxl", {"is_sdxl"}),
    "StableDiffusionXLRefiner": ("sdxl", {"is_sdxl"}),
    "StableDiffusion3": ("sd35", {"is_sd3"}),
    "Flux": ("flux", set()),
    "Chroma": ("chroma", set()),
}
FORGE_CHECKPOINTS = {
    # huggingface_guess config the checkpoint is recognised as: (engine class, expected family)
    "SD15": ("StableDiffusion", SD15),
    "SD20": ("StableDiffusion2", SD2),
    "SDXL": ("StableDiffusionXL", SDXL),
    "SDXLRefiner": ("StableDiffusionXLRefiner", None),
    "SD3": ("StableDiffusion3", SD3),
    "Flux": ("Flux", FLUX),
    "FluxSchnell": ("Flux", FLUX),
    "Chroma": ("Chroma", FLUX),
}
# SSD-1B, a pruned SDXL: SDXL LoRAs do not fit it (families.py); A1111 flags it with is_ssd. (Segmind Vega
# and KOALA are pruned SDXLs as well and take the same path in Forge; DESIGN.md names only SSD-1B.)
FORGE_PRUNED_SDXL = ["SSD1B"]


@pytest.fixture(scope="module")
def forge(webui):
    if not webui.forge:
        pytest.skip("Forge engine classes: this checkout is A1111")
    import importlib

    from backend import loader
    from backend.diffusion_engine.base import ForgeDiffusionEngine
    from huggingface_guess import detection, model_list

    return types.SimpleNamespace(
        loader=loader,
        base=ForgeDiffusionEngine,
        detection=detection,
        model_list=model_list,
        classes={
            name: getattr(importlib.import_module(f"backend.diffusion_engine.{module}"), name, None)
            for name, (module, _) in FORGE_ENGINES.items()
        },
    )


def test_forge_engine_classes_exist_under_the_names_host_knows(forge):
    missing = [name for name, cls in forge.classes.items() if cls is None]
    assert missing == []
    assert {cls.__name__ for cls in forge.loader.possible_models} == set(FORGE_ENGINES)
    assert all(issubclass(cls, forge.base) for cls in forge.classes.values())


def test_forge_base_engine_resets_the_flags_host_reads(forge, host):
    written = set(_assigned_flags(inspect.getsource(forge.base), "self")) - NOT_FAMILY_FLAGS
    assert written == {"is_sd1", "is_sd2", "is_sdxl", "is_sd3"}
    assert written <= _flags_read_by_host(host)


def _true_flags_in_init(cls) -> set[str]:
    assigned = _assigned_flags(inspect.getsource(cls.__init__), "self")
    return {
        name
        for name, values in assigned.items()
        if name not in NOT_FAMILY_FLAGS and any(isinstance(v, ast.Constant) and v.value is True for v in values)
    }


@pytest.mark.parametrize("name", list(FORGE_ENGINES))
def test_forge_engine_init_sets_the_flags(forge, name):
    assert _true_flags_in_init(forge.classes[name]) == FORGE_ENGINES[name][1]


def _forge_engine_for(forge, config_name: str):
    """An engine object as Forge's loader leaves it, without building its networks.

    The config is what huggingface_guess recognises from that architecture's UNet config; the class
    is the first of `loader.possible_models` whose `matched_guesses` the config is an instance of (the
    loader's rule); the flags are the base class's reset plus the constant ones the class's __init__ sets.
    """
    chroma = config_name == "Chroma" and not hasattr(forge.model_list, "Chroma")
    template = forge.model_list.FluxSchnell if chroma else getattr(forge.model_list, config_name)
    config = forge.detection.model_config_from_unet_config(dict(template.unet_config))
    assert type(config) is template, f"huggingface_guess recognised {config_name} as {type(config).__name__}"
    if chroma:  # the loader relabels a FLUX.1-schnell guess with Chroma's extra layers as "Chroma"
        config.huggingface_repo = forge.loader.GuessChroma.huggingface_repo
        cls = forge.classes["Chroma"]
    else:
        cls = next(m for m in forge.loader.possible_models if any(isinstance(config, g) for g in m.matched_guesses))
    engine = cls.__new__(cls)
    forge.base.fix_for_webui_backward_compatibility(engine)
    for flag in _true_flags_in_init(cls):
        setattr(engine, flag, True)
    engine.model_config = config
    return engine


@pytest.mark.parametrize("config_name", list(FORGE_CHECKPOINTS))
def test_forge_engine_gives_the_family(forge, host, config_name):
    engine = _forge_engine_for(forge, config_name)
    expected_class, expected_family = FORGE_CHECKPOINTS[config_name]
    assert type(engine).__name__ == expected_class
    assert isinstance(engine.model_config.huggingface_repo, str) and engine.model_config.huggingface_repo
    assert family_from_flags(host.model_flags(engine)) == expected_family


@pytest.mark.parametrize("config_name", FORGE_PRUNED_SDXL)
def test_forge_pruned_sdxl_is_not_reported_as_sdxl(forge, host, config_name):
    engine = _forge_engine_for(forge, config_name)
    assert type(engine).__name__ == "StableDiffusionXL"
    assert family_from_flags(host.model_flags(engine)) is None


def test_forge_startup_placeholder_has_no_family(forge, host):
    """Forge loads the checkpoint lazily: until the first generation `shared.sd_model` is a placeholder,
    which is what ui_state.py sees when the accordion is built."""
    from modules import sd_models, shared

    assert sd_models.model_data.sd_model is not None
    assert shared.sd_model is sd_models.model_data.sd_model
    assert host.loaded_family() is None
