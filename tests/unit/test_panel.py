"""The accordion's choices without gradio: variant lists, starting variant, and the method following a typed variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib_accelerator import panel
from lib_accelerator.plan import resolve_variant
from lib_accelerator.presets import recipes
from lib_accelerator.presets.catalog import Catalog, builtin_presets_dir, load_catalog
from lib_accelerator.presets.recipes import Edits
from lib_accelerator.request import Request

BUILTIN = load_catalog(builtin_presets_dir())


def _with_recipe(folder: Path) -> tuple[Catalog, recipes.Recipe]:
    """The built-in catalogue plus one user recipe made from LCM-LoRA SDXL, loaded as the WebUI loads it."""
    base = BUILTIN.variant("lcm-lora-sdxl")
    method = BUILTIN.method("lcm")
    assert base is not None and method is not None
    data = recipes.recipe_data("Fast cats", method, base, Edits(strength=0.9, steps=6, cfg=1.5))
    taken = {m.id for m in BUILTIN.methods} | {v.id for v in BUILTIN.all_variants()}
    recipe = recipes.save(folder, data, taken)
    loaded = load_catalog(builtin_presets_dir(), [folder])
    assert loaded.errors == ()
    return loaded, recipe


def test_a_variant_of_another_method_makes_the_method_follow() -> None:
    followed = panel.variant_to_follow(BUILTIN, "hyper_sd", "sdxl-lightning-8step")
    assert followed is not None
    assert (followed.id, followed.method_id) == ("sdxl-lightning-8step", "lightning")


@pytest.mark.parametrize(
    ("method_id", "variant_id"),
    [
        ("hyper_sd", "hyper-sdxl-4step"),  # the method's own variant: after a paste or a method choice
        ("hyper_sd", "hyper-sd15-1step"),  # its own variant for another family: still the same method
        ("hyper_sd", "hyper-sdxl-4ste"),  # half typed
        ("hyper_sd", ""),
        ("hyper_sd", None),
        (None, None),
    ],
)
def test_nothing_changes_when_method_and_variant_agree_or_the_variant_is_unknown(
    method_id: str | None, variant_id: str | None
) -> None:
    assert panel.variant_to_follow(BUILTIN, method_id, variant_id) is None


def test_a_recipe_variant_makes_the_method_box_show_the_recipe(tmp_path: Path) -> None:
    loaded, recipe = _with_recipe(tmp_path)
    followed = panel.variant_to_follow(loaded, "lcm", recipe.variant.id)  # typed beside the method it came from
    assert followed is not None and followed.method_id == recipe.id
    assert (followed.strength, followed.steps, followed.cfg) == (0.9, 6, 1.5)
    assert panel.variant_to_follow(loaded, recipe.id, recipe.variant.id) is None
    # and back: a built-in variant typed while the recipe is shown
    back = panel.variant_to_follow(loaded, recipe.id, "lcm-lora-sdxl")
    assert back is not None and back.method_id == "lcm"


def test_a_recipe_that_is_not_loaded_changes_nothing(tmp_path: Path) -> None:
    _, recipe = _with_recipe(tmp_path)
    assert panel.variant_to_follow(BUILTIN, "lcm", recipe.variant.id) is None


def test_after_following_the_runtime_uses_the_typed_variant() -> None:
    """Why the method must follow: beside another method, the runtime drops the variant for that method's default."""
    typed = "sdxl-lightning-2step"
    unfollowed = resolve_variant(BUILTIN, Request(True, "hyper_sd", typed), "sdxl")
    assert unfollowed.variant.id != typed
    followed = panel.variant_to_follow(BUILTIN, "hyper_sd", typed)
    assert followed is not None
    assert resolve_variant(BUILTIN, Request(True, followed.method_id, typed), "sdxl").variant.id == typed


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
