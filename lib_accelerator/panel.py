"""Choices the accordion makes, decided without gradio so that they can be tested: the variants a method
offers for the loaded family, the variant it starts with, and the method a variant typed into the variant
box belongs to. `lib_accelerator.webui.ui*` turns the answers into controls and `gr.update`s."""

from __future__ import annotations

from lib_accelerator import compatibility
from lib_accelerator.families import LoadedModel
from lib_accelerator.presets.catalog import Catalog, Variant
from lib_accelerator.request import Request, RequestError

DEFAULT_METHOD = "hyper_sd"  # what the panel shows when no recipe is proposed for the loaded checkpoint


def variant_pool(catalog: Catalog, method_id: str, family: str | None) -> tuple[Variant, ...]:
    """The method's variants for the loaded family; all of them when it has none for it or none is loaded."""
    method = catalog.method(method_id)
    if method is None:
        return ()
    return (method.variants_for(family) if family else ()) or method.variants


def default_variant(catalog: Catalog, method_id: str, family: str | None) -> Variant | None:
    method = catalog.method(method_id)
    if method is None:
        return None
    if family:
        return method.default_variant(family) or method.variants[0]
    # No model loaded yet (A1111 loads it while the UI is built): a default of the first family listed.
    return next((v for v in method.variants if v.default), method.variants[0])


def variant_to_follow(catalog: Catalog, method_id: str | None, variant_id: str | None) -> Variant | None:
    """The variant whose method the method box must switch to, or None when the panel must stay as it is.

    The variant box takes typed ids. A variant of another method than the one shown would be dropped by
    `plan.resolve_variant` (a method given beside another method's variant means the method's default), so
    the user's variant would silently not be used; the method follows the variant instead. A user recipe is
    its own method, so a recipe's variant makes the method box show the recipe.

    None when the variant is unknown (half typed, or a recipe that is not loaded) or already belongs to the
    shown method: that is the state after pasting infotext, choosing a method or applying a recipe, which set
    method, variant and values together; those values must not be replaced by the preset's.
    """
    chosen = catalog.variant(variant_id) if variant_id else None
    if chosen is None or chosen.method_id == method_id or catalog.method(chosen.method_id) is None:
        return None
    return chosen


def variant_pool_for(catalog: Catalog, method_id: str, loaded: LoadedModel) -> tuple[Variant, ...]:
    """The method's variants that fit what is loaded (base variant, precision too); `variant_pool` when none does,
    so that the box is never empty and generating names the refusal."""
    pool = variant_pool(catalog, method_id, loaded.family)
    return tuple(v for v in pool if compatibility.check(v, loaded) is None) or pool


def default_variant_for(catalog: Catalog, method_id: str, loaded: LoadedModel) -> Variant | None:
    """The variant a generation with this method would use (Qwen-Image-Edit-2509 gets its own file)."""
    try:
        return compatibility.resolve(catalog, Request(True, method_id), loaded).variant
    except (compatibility.PlanError, RequestError):
        return default_variant(catalog, method_id, loaded.family)


def proposed_recipe(catalog: Catalog, loaded: LoadedModel) -> Variant | None:
    """The settings-only variant to preselect for a checkpoint that is distilled itself (Z-Image-Turbo, Klein)."""
    found = compatibility.recipes_for(catalog, loaded)
    return found[0] if found else None
