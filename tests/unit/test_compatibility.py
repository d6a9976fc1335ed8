"""The check before any file is fetched: method x family x base variant x precision (x host) -> the variant to
use, or a refusal that names the problem and the fix. One case per row."""

from dataclasses import replace

import pytest

from lib_accelerator import compatibility, panel, xyz
from lib_accelerator.compatibility import PlanError, check, recipes_for, resolve
from lib_accelerator.families import (
    BASE_VARIANTS,
    FLUX2,
    PRECISIONS,
    QWEN_IMAGE,
    SDXL,
    WAN22,
    Z_IMAGE,
    LoadedModel,
)
from lib_accelerator.presets.catalog import Catalog, builtin_presets_dir, load_catalog
from lib_accelerator.prompt import set_lora_tag
from lib_accelerator.request import Request

CATALOG = load_catalog(builtin_presets_dir())
QWEN = "qwen_lightning"


def _qwen(base: str = "", precision: str = "", host: str = "") -> LoadedModel:
    return LoadedModel(QWEN_IMAGE, base, precision, host)


# (request, loaded) -> variant id
PICKS = [
    (Request(True, QWEN), _qwen("original", "bf16"), "qwen-image-lightning-4step"),
    (Request(True, QWEN), _qwen("original", "fp8_scaled"), "qwen-image-lightning-4step"),
    (Request(True, QWEN), _qwen("edit", "bf16"), "qwen-image-edit-lightning-4step"),
    (Request(True, QWEN), _qwen("edit-2509", "gguf"), "qwen-image-edit-2509-lightning-4step"),
    (Request(True, "", "qwen-image-lightning-8step"), _qwen("edit-2509"), "qwen-image-edit-2509-lightning-8step"),
    (Request(True, "", "qwen-image-edit-lightning-8step"), _qwen("edit"), "qwen-image-edit-lightning-8step"),
    (Request(True, "wan22_lightning"), LoadedModel(WAN22, "t2v-a14b"), "wan22-t2v-a14b-lightning-4step"),
    (Request(True, "wan22_lightning"), LoadedModel(WAN22, "i2v-a14b"), "wan22-i2v-a14b-lightning-4step"),
    (Request(True, "distilled"), LoadedModel(Z_IMAGE, "turbo"), "z-image-turbo-9step"),
    (Request(True, "distilled"), LoadedModel(FLUX2, "klein"), "flux2-klein-4step"),
    (Request(True, "lightning"), LoadedModel(SDXL, "", "fp16", "forge"), "sdxl-lightning-4step"),
]


@pytest.mark.parametrize(("request_", "loaded", "expected"), PICKS)
def test_the_file_that_fits(request_, loaded, expected):
    assert resolve(CATALOG, request_, loaded).variant.id == expected


# (request, loaded) -> words the refusal must contain (the problem and the fix)
REFUSALS = [
    (Request(True, QWEN), _qwen("original", "fp8"), ("plain fp8", "bf16 or fp8-scaled")),
    (Request(True, QWEN), _qwen("edit-2509", "fp8"), ("plain fp8", "fp8-scaled")),
    (Request(True, QWEN), _qwen("edit-2511", "bf16"), ("no file for Qwen-Image-Edit-2511", "own recipe")),
    (
        Request(True, "", "qwen-image-edit-lightning-4step"),
        _qwen("edit-2511"),
        ("ModelTC/Qwen-Image-Lightning issue #47", "Qwen-Image-Edit-2511-Lightning"),
    ),
    (Request(True, "distilled"), LoadedModel(Z_IMAGE, "base"), ("no file for Z-Image", "Z-Image-Fun-Lora-Distill")),
    (Request(True, "distilled"), LoadedModel(FLUX2, "dev"), ("no file for FLUX.2 [dev]", "own recipe")),
    (Request(True, "lightning"), LoadedModel(QWEN_IMAGE, "edit"), ("no file for Qwen-Image", "Qwen-Image-Lightning")),
    (Request(True, "wan22_lightning"), LoadedModel(SDXL), ("no file for SDXL", "methods that work")),
    (Request(True, "lightning"), LoadedModel(None), ("not one Accelerator knows", "Qwen-Image")),
]


@pytest.mark.parametrize(("request_", "loaded", "words"), REFUSALS)
def test_refusals_name_the_problem_and_the_fix(request_, loaded, words):
    with pytest.raises(PlanError) as caught:
        resolve(CATALOG, request_, loaded)
    assert all(w in str(caught.value) for w in words), str(caught.value)


def test_edit_lora_on_2509_is_refused_and_the_2509_file_used_instead():
    resolution = resolve(CATALOG, Request(True, "", "qwen-image-edit-lightning-4step"), _qwen("edit-2509"))
    assert resolution.variant.id == "qwen-image-edit-2509-lightning-4step"
    assert "issue #47" in resolution.warnings[0] and "qwen-image-edit-2509-lightning-4step" in resolution.warnings[0]
    edit = CATALOG.variant("qwen-image-edit-lightning-4step")
    assert edit is not None and "issue #47" in str(check(edit, _qwen("edit-2509")))


def test_unknown_base_is_assumed_and_said():
    resolution = resolve(CATALOG, Request(True, QWEN), _qwen())
    assert resolution.variant.id == "qwen-image-lightning-4step"
    assert "could not tell which Qwen-Image checkpoint is loaded; original is assumed" in resolution.warnings


def test_an_unknown_base_keeps_the_users_own_choice():
    resolution = resolve(CATALOG, Request(True, "", "qwen-image-edit-lightning-4step"), _qwen())
    assert resolution.variant.id == "qwen-image-edit-lightning-4step" and resolution.warnings == ()


def _zimage_lora_catalog() -> Catalog:
    """A user recipe with a LoRA for Z-Image (no built-in has one yet)."""
    base = CATALOG.variant("qwen-image-lightning-4step")
    assert base is not None
    variant = replace(base, id="my-zimage", method_id="my_zimage", family=Z_IMAGE, base_variants=())
    method = replace(CATALOG.method(QWEN), id="my_zimage", name="My Z-Image LoRA", variants=(variant,))  # type: ignore[arg-type]
    return Catalog(methods=(method,))


def test_nunchaku_zimage_lora_is_refused_on_forge_neo_only():
    catalog = _zimage_lora_catalog()
    with pytest.raises(PlanError, match="Forge Neo cannot apply a LoRA to a Nunchaku Z-Image.*bf16 or fp8"):
        resolve(catalog, Request(True, "my_zimage"), LoadedModel(Z_IMAGE, "base", "nunchaku", "forge_neo"))
    ok = resolve(catalog, Request(True, "my_zimage"), LoadedModel(Z_IMAGE, "base", "nunchaku", "sdnext"))
    assert ok.variant.id == "my-zimage"
    assert resolve(catalog, Request(True, "my_zimage"), LoadedModel(Z_IMAGE, "base", "bf16", "forge_neo"))


def test_rules_never_refuse_a_recipe_without_file():
    turbo = CATALOG.variant("z-image-turbo-9step")
    assert turbo is not None and check(turbo, LoadedModel(Z_IMAGE, "turbo", "nunchaku", "forge_neo")) is None


def test_every_rule_is_sourced_and_uses_known_values():
    for rule in compatibility.RULES:
        assert rule.source and rule.problem and rule.fix
        assert rule.precisions <= set(PRECISIONS) and rule.family in BASE_VARIANTS


@pytest.mark.parametrize(
    ("loaded", "expected"),
    [
        (LoadedModel(Z_IMAGE, "turbo"), ["z-image-turbo-9step"]),
        (LoadedModel(FLUX2, "klein", "bf16", "forge_neo"), ["flux2-klein-4step"]),
        (LoadedModel(Z_IMAGE, "base"), []),
        (LoadedModel(Z_IMAGE), []),  # base unknown: nothing is proposed
        (LoadedModel(QWEN_IMAGE, "original"), []),
        (LoadedModel(SDXL), []),
    ],
)
def test_recipes_for_a_loaded_checkpoint(loaded, expected):
    found = recipes_for(CATALOG, loaded)
    assert [v.id for v in found] == expected and all(v.recipe_only for v in found)


def test_panel_follows_the_loaded_base_variant():
    edit_2509 = _qwen("edit-2509", "bf16", "forge_neo")
    pool = panel.variant_pool_for(CATALOG, QWEN, edit_2509)
    assert [v.id for v in pool] == ["qwen-image-edit-2509-lightning-4step", "qwen-image-edit-2509-lightning-8step"]
    assert panel.default_variant_for(CATALOG, QWEN, edit_2509).id == "qwen-image-edit-2509-lightning-4step"  # type: ignore[union-attr]
    # a refused checkpoint still shows the family's variants; generating names the refusal
    assert len(panel.variant_pool_for(CATALOG, QWEN, _qwen("original", "fp8"))) == 6
    assert panel.default_variant_for(CATALOG, QWEN, _qwen("original", "fp8")).id == "qwen-image-lightning-4step"  # type: ignore[union-attr]
    assert panel.proposed_recipe(CATALOG, LoadedModel(Z_IMAGE, "turbo")).id == "z-image-turbo-9step"  # type: ignore[union-attr]
    assert panel.proposed_recipe(CATALOG, _qwen("original")) is None


def test_xyz_refuses_a_file_that_does_not_fit_before_the_grid():
    xyz.check_methods(["off", QWEN, "qwen-image-edit-lightning-4step"], CATALOG, _qwen("edit-2509"))
    with pytest.raises(xyz.AxisValueError, match="plain fp8"):
        xyz.check_methods([QWEN], CATALOG, _qwen("original", "fp8"))
    with pytest.raises(xyz.AxisValueError, match="no file for Qwen-Image-Edit-2511"):
        xyz.check_methods(["qwen-image-edit-lightning-4step"], CATALOG, _qwen("edit-2511"))
    xyz.check_methods([QWEN], CATALOG, "qwen_image")  # a family id alone: as before, family only


def test_no_tag_for_a_recipe_only_plan():
    assert set_lora_tag("a cat", "", 1.0) == "a cat"


def test_compare_uses_the_file_for_the_loaded_base_variant():
    from lib_accelerator import compare

    chosen = compare.cells(CATALOG, _qwen("edit-2509"))
    assert [c.request.variant for c in chosen] == ["", "qwen-image-edit-2509-lightning-4step"]
    assert [c.request.variant for c in compare.cells(CATALOG, _qwen("original", "fp8"))] == [""]  # refused: no cell
    assert [c.request.variant for c in compare.cells(CATALOG, "qwen_image")][1] == "qwen-image-lightning-4step"


def test_plain_fp8_refusal_covers_a_users_own_qwen_lightning_file():
    """The rule is about the file on the checkpoint, not the built-in method's id: a recipe made from the
    built-in variant with a LoRA of the user's own is refused too, unless its file is named for fp8."""
    from lib_accelerator.presets import recipes
    from lib_accelerator.presets.catalog import parse_method
    from lib_accelerator.presets.lora_file import local_lora_file

    method, base = CATALOG.method(QWEN), CATALOG.variant("qwen-image-lightning-4step")
    assert method is not None and base is not None
    for name, refused in (("Qwen-Image-Lightning-4steps-V2.0.safetensors", True),
                          ("Qwen-Image-fp8-e4m3fn-Lightning-4steps-V1.0.safetensors", False)):  # fmt: skip
        data = recipes.recipe_data("Mine", method, base, recipes.Edits(1, 4, 1), file=local_lora_file(name))
        mine = parse_method(data, "mine.json").variants[0]
        reason = check(mine, _qwen("original", "fp8"))
        assert (reason is not None and "plain fp8" in reason) is refused, (name, reason)
        assert check(mine, _qwen("original", "bf16")) is None
