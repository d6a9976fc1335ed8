"""The accordion's choices without gradio: variant lists and the starting variant."""

from __future__ import annotations

from lib_accelerator import panel
from lib_accelerator.catalog import builtin_presets_dir, load_catalog

BUILTIN = load_catalog(builtin_presets_dir())


def test_variant_pool_offers_the_loaded_family_else_everything() -> None:
    assert {v.family for v in panel.variant_pool(BUILTIN, "hyper_sd", "sdxl")} == {"sdxl"}
    method = BUILTIN.method("hyper_sd")
    assert method is not None
    assert panel.variant_pool(BUILTIN, "hyper_sd", None) == method.variants
    lightning = BUILTIN.method("lightning")
    assert lightning is not None
    assert panel.variant_pool(BUILTIN, "lightning", "sd15") == lightning.variants  # no SD 1.5 file: all of them
    assert panel.variant_pool(BUILTIN, "no_such_method", "sdxl") == ()


def test_default_variant_for_the_family_or_the_first_default_listed() -> None:
    sdxl = panel.default_variant(BUILTIN, "hyper_sd", "sdxl")
    assert sdxl is not None and sdxl.family == "sdxl" and sdxl.default
    unloaded = panel.default_variant(BUILTIN, "hyper_sd", None)
    method = BUILTIN.method("hyper_sd")
    assert method is not None and unloaded == next(v for v in method.variants if v.default)
    assert panel.default_variant(BUILTIN, "no_such_method", "sdxl") is None
    assert panel.default_variant(BUILTIN, panel.DEFAULT_METHOD, "sd15") is not None
