"""What the panel shows for the WebUI's current state: the loaded family and checkpoint, the choices of the
method and variant boxes, and the values a variant brings to the sliders (as `gr.update`s)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from lib_accelerator import panel
from lib_accelerator.families import family_label
from lib_accelerator.presets.catalog import Catalog, Variant
from lib_accelerator.request import PRESET_LABEL
from lib_accelerator.webui import hosts, services


def current_family() -> str | None:
    """Family of the loaded model, or None while none is loaded (A1111 loads it after the UI starts)."""
    return hosts.current().current_family()


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


def variant_choices(loaded: Catalog, method_id: str, family: str | None) -> list[Any]:
    pool = panel.variant_pool(loaded, method_id, family)
    return _choices([(f"{family_label(v.family)} · {v.label}", v.id) for v in pool])


def method_update(value: Any = None) -> Any:
    """New method choices (recipes come and go), and a new value when one is given."""
    choices = method_choices(services.catalog())
    return gr.update(choices=choices) if value is None else gr.update(choices=choices, value=value)


def variant_update(variant: Variant) -> Any:
    """The variant box showing `variant` among the variants of its own method for the loaded family."""
    return gr.update(choices=variant_choices(services.catalog(), variant.method_id, current_family()), value=variant.id)


def preset_values(variant: Variant | None) -> list[Any]:
    """Strength, steps, CFG, sampler and schedule as the variant's preset says (no change for no variant)."""
    if variant is None:
        return [gr.update()] * 5
    return [variant.strength, variant.steps, variant.cfg, PRESET_LABEL, PRESET_LABEL]


def shown(variant: Variant | None) -> tuple[Any, Any, Any]:
    """The slider values `preset_values` puts in, for the status line's range check."""
    return (variant.strength, variant.steps, variant.cfg) if variant else (None, None, None)
