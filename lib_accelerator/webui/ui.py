"""The Accelerator accordion: controls, their events, and the paste-back table.

Values change on user *selection* events only (`.select`), never on `.change`: pasting infotext sets
method, variant and the sliders in one go, and a `.change` handler would overwrite the pasted values
with the preset's.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import gradio as gr
from modules.ui_components import FormRow, InputAccordion, ToolButton

from lib_accelerator import infotext
from lib_accelerator.catalog import Catalog, Variant
from lib_accelerator.families import family_label
from lib_accelerator.request import CFG_LIMITS, PRESET_LABEL, STEPS_LIMITS, STRENGTH_LIMITS
from lib_accelerator.webui import compare_ui, host, runtime

try:
    from modules.infotext_utils import PasteField
except ImportError:  # A1111 before 1.8 takes plain (component, key) tuples

    def PasteField(component: Any, target: Any) -> tuple[Any, Any]:
        return component, target


DEFAULT_METHOD = "hyper_sd"


def _current_family() -> str | None:
    """Family of the loaded model, or None while none is loaded (A1111 loads it after the UI starts)."""
    from modules import sd_models

    model = getattr(sd_models.model_data, "sd_model", None)
    return None if model is None else host.loaded_family()


def _method_choices(loaded: Catalog) -> list[tuple[str, str]]:
    choices = []
    for method in loaded.methods:
        families = ", ".join(dict.fromkeys(family_label(v.family) for v in method.variants))
        suffix = " (experimental)" if method.experimental else ""
        choices.append((f"{method.name}{suffix} · {families}", method.id))
    return choices


def _variant_choices(loaded: Catalog, method_id: str, family: str | None) -> list[tuple[str, str]]:
    method = loaded.method(method_id)
    if method is None:
        return []
    pool = method.variants_for(family) if family and method.variants_for(family) else method.variants
    return [(f"{family_label(v.family)} · {v.label}", v.id) for v in pool]


def _default_variant(loaded: Catalog, method_id: str, family: str | None) -> Variant | None:
    method = loaded.method(method_id)
    if method is None:
        return None
    return (method.default_variant(family) if family else None) or method.variants[0]


def status_html(loaded: Catalog, variant_id: str) -> str:
    variant = loaded.variant(variant_id)
    if variant is None:
        return ""
    method = loaded.method(variant.method_id)
    family = _current_family()
    lines = [f"<b>{html.escape(variant.file.save_as)}</b> · {variant.file.size / 1e6:.0f} MB"]
    target = runtime.download_options().lora_dir / str(runtime.download_options().subfolder) / variant.file.save_as
    lines.append("downloaded" if target.is_file() else "not downloaded yet: it is fetched on first use")
    if method is not None:
        licence = html.escape(method.license)
        lines.append(f'licence: <a href="{html.escape(method.license_url)}" target="_blank">{licence}</a>')
    text = " · ".join(lines)
    note = html.escape(variant.notes.get("en", ""))
    warn = ""
    if family and variant.family != family:
        warn = (
            f"<br><span class='accelerator-warning'>This variant is for {family_label(variant.family)}; "
            f"the loaded model is {family_label(family)}.</span>"
        )
    return f"<div class='accelerator-status'>{text}<br>{note}{warn}</div>"


def _preset_values(variant: Variant | None) -> list[Any]:
    if variant is None:
        return [gr.update()] * 5
    return [variant.strength, variant.steps, variant.cfg, PRESET_LABEL, PRESET_LABEL]


def build(elem_id: Callable[[str], str], is_img2img: bool) -> tuple[list[Any], list[Any]]:
    """Create the accordion; return (components in request.FIELD_ORDER, infotext paste fields)."""
    loaded = runtime.catalog()
    family = _current_family()
    start = _default_variant(loaded, DEFAULT_METHOD, family)
    caps = host.capabilities()
    with InputAccordion(False, label="Accelerator", elem_id=elem_id("accelerator")) as enabled:
        with FormRow(elem_classes=["accelerator-row"]):
            method = gr.Dropdown(
                label="Method",
                choices=_method_choices(loaded),
                value=DEFAULT_METHOD,
                elem_id=elem_id("accelerator_method"),
            )
            variant = gr.Dropdown(
                label="Variant",
                choices=_variant_choices(loaded, DEFAULT_METHOD, family),
                value=start.id if start else None,
                allow_custom_value=True,
                elem_id=elem_id("accelerator_variant"),
            )
            reset = ToolButton(value="\u21bb", elem_id=elem_id("accelerator_reset"), tooltip="Reset to the preset")
        with FormRow(elem_classes=["accelerator-row"]):
            strength = gr.Slider(
                label="LoRA strength",
                minimum=STRENGTH_LIMITS[0],
                maximum=STRENGTH_LIMITS[1],
                step=0.05,
                value=start.strength if start else 1.0,
                elem_id=elem_id("accelerator_strength"),
            )
            steps = gr.Slider(
                label="Accelerated steps",
                minimum=STEPS_LIMITS[0],
                maximum=50,
                step=1,
                value=start.steps if start else 4,
                elem_id=elem_id("accelerator_steps"),
            )
            cfg = gr.Slider(
                label="Accelerated CFG",
                minimum=CFG_LIMITS[0],
                maximum=15.0,
                step=0.5,
                value=start.cfg if start else 1.0,
                elem_id=elem_id("accelerator_cfg"),
            )
        with FormRow(elem_classes=["accelerator-row"]):
            sampler = gr.Dropdown(
                label="Accelerated sampler",
                choices=[PRESET_LABEL, *sorted(caps.samplers)],
                value=PRESET_LABEL,
                elem_id=elem_id("accelerator_sampler"),
            )
            schedule = gr.Dropdown(
                label="Accelerated schedule type",
                choices=[PRESET_LABEL, *sorted(caps.schedulers or ())],
                value=PRESET_LABEL,
                elem_id=elem_id("accelerator_schedule"),
            )
        status = gr.HTML(value=status_html(loaded, start.id) if start else "", elem_id=elem_id("accelerator_status"))
        with FormRow(elem_classes=["accelerator-row"]):
            download_button = gr.Button(value="Download now", elem_id=elem_id("accelerator_download"))
            if not is_img2img:
                compare_button = gr.Button(value="Compare methods", elem_id=elem_id("accelerator_compare"))
                compare_ui.WIRING.offer_button(compare_button, status)

    controls = [enabled, method, variant, strength, steps, cfg, sampler, schedule]
    _wire_events(loaded, method, variant, reset, [strength, steps, cfg, sampler, schedule], status, download_button)
    return controls, _paste_fields(controls)


def _wire_events(
    loaded: Catalog, method: Any, variant: Any, reset: Any, values: list[Any], status: Any, button: Any
) -> None:
    def on_method(method_id: str, variant_id: str) -> list[Any]:
        family = _current_family()
        current = runtime.catalog().variant(variant_id)
        keep = current if current and current.method_id == method_id else None
        chosen = keep or _default_variant(runtime.catalog(), method_id, family)
        choices = _variant_choices(runtime.catalog(), method_id, family)
        return [
            gr.update(choices=choices, value=chosen.id if chosen else None),
            *_preset_values(chosen),
            status_html(runtime.catalog(), chosen.id) if chosen else "",
        ]

    def on_variant(variant_id: str) -> list[Any]:
        chosen = runtime.catalog().variant(variant_id)
        return [*_preset_values(chosen), status_html(runtime.catalog(), variant_id)]

    method.select(fn=on_method, inputs=[method, variant], outputs=[variant, *values, status], show_progress=False)
    variant.select(fn=on_variant, inputs=[variant], outputs=[*values, status], show_progress=False)
    reset.click(fn=on_variant, inputs=[variant], outputs=[*values, status], show_progress=False)
    variant.change(
        fn=lambda v: status_html(runtime.catalog(), v), inputs=[variant], outputs=[status], show_progress=False
    )
    button.click(fn=_download_now, inputs=[variant], outputs=[status])


def _download_now(variant_id: str, progress: Any = gr.Progress()) -> str:  # noqa: B008 - gradio's idiom
    loaded = runtime.catalog()
    variant = loaded.variant(variant_id)
    if variant is None:
        return f"<div class='accelerator-status'>Unknown variant {html.escape(str(variant_id))}</div>"

    def report(done: int, total: int) -> None:
        progress(done / total if total else 0, desc=f"Downloading {variant.file.save_as}")

    try:
        runtime.lora_path(variant.file, variant.id, progress=report)
    except runtime.download.DownloadError as error:
        return f"<div class='accelerator-status accelerator-warning'>{html.escape(str(error))}</div>"
    return status_html(loaded, variant_id)


def _paste_fields(controls: list[Any]) -> list[Any]:
    enabled, method, variant, strength, steps, cfg, sampler, schedule = controls

    def from_variant(attribute: str, label: str) -> Callable[[dict[str, Any]], Any]:
        def read(params: dict[str, Any]) -> Any:
            if infotext.ENABLED_LABEL not in params:
                return None
            if label in params:
                return params[label]
            chosen = runtime.catalog().variant(str(params[infotext.ENABLED_LABEL]))
            return getattr(chosen, attribute) if chosen else None

        return read

    def name_or_preset(label: str) -> Callable[[dict[str, Any]], Any]:
        return lambda params: params.get(label, PRESET_LABEL) if infotext.ENABLED_LABEL in params else None

    def method_of(params: dict[str, Any]) -> Any:
        chosen = runtime.catalog().variant(str(params.get(infotext.ENABLED_LABEL, "")))
        return chosen.method_id if chosen else None

    # No `api=` names: the API would copy those values onto its own request fields (steps, cfg...).
    return [
        PasteField(enabled, lambda params: infotext.ENABLED_LABEL in params),
        PasteField(method, method_of),
        PasteField(variant, infotext.ENABLED_LABEL),
        PasteField(strength, from_variant("strength", "Accelerator strength")),
        PasteField(steps, from_variant("steps", "Accelerator steps")),
        PasteField(cfg, from_variant("cfg", "Accelerator CFG")),
        PasteField(sampler, name_or_preset("Accelerator sampler")),
        PasteField(schedule, name_or_preset("Accelerator schedule")),
    ]
