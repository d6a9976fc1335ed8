"""What the panel shows for the WebUI's current state: the loaded model and checkpoint, the choices of the
method and variant boxes, and the values a variant brings to the sliders and the shift box (as `gr.update`s)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from lib_accelerator import panel
from lib_accelerator.families import LoadedModel, family_label
from lib_accelerator.presets.catalog import Catalog, Variant
from lib_accelerator.request import PRESET_LABEL
from lib_accelerator.webui import hosts, services


def current_family() -> str | None:
    """Family of the loaded model, or None while none is loaded (A1111 loads it after the UI starts)."""
    return hosts.current().current_family()


def current_model() -> LoadedModel:
    """What is loaded (family, base variant, precision as far as the host tells); family None while none is."""
    return hosts.current().what_is_loaded()


def checkpoint_hash() -> str:
    """Short hash of the loaded checkpoint, or of the one selected in Settings while none is loaded yet."""
    from modules import sd_models, shared

    try:
        model = hosts.current().loaded_model()
        info = getattr(model, "sd_checkpoint_info", None)
        if info is None:  # never load a model just to read its hash
            info = sd_models.get_closet_checkpoint_match(str(shared.opts.data.get("sd_model_checkpoint") or ""))
        found = getattr(info, "shorthash", None) or getattr(info, "sha256", None) or getattr(model, "sd_model_hash", "")
    except (AttributeError, KeyError, TypeError, ValueError):
        return ""
    return str(found or "")


# gradio 3.41 turns (label, value) choices into the text "('label', 'value')"; there the ids are shown, and
# the status line names the method and variant.
LABELLED_CHOICES = int(gr.__version__.split(".")[0]) >= 4


def _choices(pairs: list[tuple[str, str]]) -> list[Any]:
    return list(pairs) if LABELLED_CHOICES else [value for _, value in pairs]


def method_choices(loaded: Catalog) -> list[Any]:
    choices = []
    for method in loaded.methods:
        families = ", ".join(dict.fromkeys(family_label(v.family) for v in method.variants))
        suffix = " (experimental)" if method.experimental else ""
        choices.append((f"{method.name}{suffix} · {families}", method.id))
    return _choices(choices)


def variant_choices(loaded: Catalog, method_id: str, model: LoadedModel | None = None) -> list[Any]:
    """The method's variants that fit what is loaded (`model`, the current one when not given)."""
    pool = panel.variant_pool_for(loaded, method_id, model or current_model())
    return _choices([(f"{family_label(v.family)} · {v.label}", v.id) for v in pool])


def method_update(value: Any = None) -> Any:
    """New method choices (recipes come and go), and a new value when one is given."""
    choices = method_choices(services.catalog())
    return gr.update(choices=choices) if value is None else gr.update(choices=choices, value=value)


def variant_update(variant: Variant) -> Any:
    """The variant box showing `variant` among the variants of its own method for the loaded family."""
    return gr.update(choices=variant_choices(services.catalog(), variant.method_id), value=variant.id)


def shift_shown(variant: Variant | None) -> bool:
    """The shift box is shown only where it acts: a variant with a shift, on a host that can set it for the loaded
    model (Forge Neo's shift engines, SD.Next); elsewhere a shift value would only be a warning."""
    return variant is not None and variant.shift is not None and hosts.current().capabilities().has_shift


def shift_update(variant: Variant | None, value: float | None = None) -> Any:
    """The shift box for `variant`: `value` (a pasted or typed shift) or else the preset's; None for a variant
    without a shift, so that a hidden box never sends the shift of another variant."""
    shift = None if variant is None or variant.shift is None else (variant.shift if value is None else value)
    return gr.update(value=shift, visible=shift_shown(variant))


def preset_values(variant: Variant | None) -> list[Any]:
    """Strength, steps, CFG, sampler, schedule and shift as the variant's preset says (no change for no variant)."""
    if variant is None:
        return [gr.update()] * VALUE_COUNT
    return [variant.strength, variant.steps, variant.cfg, PRESET_LABEL, PRESET_LABEL, shift_update(variant)]


VALUE_COUNT = 6  # strength, steps, CFG, sampler, schedule, shift: the panel's controls after method and variant


def shown(variant: Variant | None) -> tuple[Any, Any, Any]:
    """The slider values `preset_values` puts in, for the status line's range check."""
    return (variant.strength, variant.steps, variant.cfg) if variant else (None, None, None)
