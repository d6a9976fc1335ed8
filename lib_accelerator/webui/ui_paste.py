"""Paste-back: which control takes which infotext value when PNG info or "Send to txt2img" fills the panel.

Infotext names the variant (`Accelerator: <id>`) and only the values the user changed; the method and the
other values are read from that variant, so the panel shows what was run. Method, variant and values are
set together, which is why the panel's `.change` handlers must leave an agreeing method and variant alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lib_accelerator import infotext
from lib_accelerator.prompt import remove_lora_tag
from lib_accelerator.request import ARGUMENT_ORDER, PRESET_LABEL
from lib_accelerator.webui import hosts, services
from lib_accelerator.webui.log import LOG as log
from lib_accelerator.webui.ui_state import shift_update

try:
    from modules.infotext_utils import PasteField

    HAS_API_FIELDS = True
except ImportError:  # A1111 before 1.8 takes plain (component, key) tuples, and its API reads no infotext
    HAS_API_FIELDS = False

    def PasteField(component: Any, target: Any, **_api: Any) -> tuple[Any, Any]:
        return component, target


def paste_fields(controls: list[Any]) -> list[Any]:
    """(component, infotext key or reader) pairs for the controls in request.ARGUMENT_ORDER, from infotext's table."""
    by_name = dict(zip(ARGUMENT_ORDER, controls, strict=True))

    def from_variant(field: infotext.Field) -> Callable[[dict[str, Any]], Any]:
        def read(params: dict[str, Any]) -> Any:
            if infotext.ENABLED_LABEL not in params:
                return None
            if field.label in params:
                return params[field.label]
            chosen = services.catalog().variant(str(params[infotext.ENABLED_LABEL]))
            return getattr(chosen, field.name) if chosen else None

        return read

    def name_or_preset(field: infotext.Field) -> Callable[[dict[str, Any]], Any]:
        return lambda params: params.get(field.label, PRESET_LABEL) if infotext.ENABLED_LABEL in params else None

    def method_of(params: dict[str, Any]) -> Any:
        chosen = services.catalog().variant(str(params.get(infotext.ENABLED_LABEL, "")))
        return chosen.method_id if chosen else None

    def shift_of(params: dict[str, Any]) -> Any:
        """An update, not a value: the box is shown or hidden with the pasted variant, and a variant without a
        shift must empty it (a plain None would leave another variant's shift in it). A plain value would not
        arrive at all: the WebUI converts it to the type of the box's start value, which is None (ui.py)."""
        if infotext.ENABLED_LABEL not in params:
            return None
        chosen = services.catalog().variant(str(params[infotext.ENABLED_LABEL]))
        pasted = params.get(infotext.SHIFT.label)
        try:
            value = None if pasted in (None, "") else float(pasted)
        except (TypeError, ValueError):
            log.warning("Accelerator: the pasted shift %r is not a number; the variant's own shift is shown", pasted)
            value = None
        return shift_update(chosen, value)

    readers = {infotext.SHIFT.name: shift_of}
    field_of = PasteField if hosts.current().paste_takes_plain_values() else _reader_as_update

    # No `api=` names: the API would copy those values onto its own request fields (steps, cfg...).
    return [
        field_of(by_name["enabled"], lambda params: infotext.ENABLED_LABEL in params),
        field_of(by_name["method"], method_of),
        PasteField(by_name[infotext.VARIANT.name], infotext.VARIANT.label),
        *(
            field_of(
                by_name[field.name],
                readers.get(field.name) or (from_variant(field) if field.in_preset else name_or_preset(field)),
            )
            for field in infotext.ALL_CHANGES
        ),
    ]


def _reader_as_update(component: Any, read: Callable[[dict[str, Any]], Any]) -> Any:
    """The reader's value as the gr.update the WebUI would have made of it: converted to the type of the
    control's value (a checkbox takes "False" as False, a slider a number), None left as "nothing pasted"."""
    import gradio as gr

    kind: type[Any] = type(getattr(component, "value", None))
    update_type = type(gr.update())

    def convert(value: Any) -> Any:
        if kind is bool:
            return str(value).lower() != "false" if isinstance(value, str) else bool(value)
        if kind in (int, float):
            number = float(value)
            return int(number) if kind is int and number.is_integer() else number
        return value

    def as_update(params: dict[str, Any]) -> Any:
        value = read(params)
        if value is None or isinstance(value, update_type):
            return value
        try:
            return gr.update(value=convert(value))
        except (TypeError, ValueError):
            log.warning("Accelerator: the pasted value %r does not fit its control; it is left as it was", value)
            return None

    return PasteField(component, as_update)


def api_paste_fields(holder: Any) -> list[Any]:
    """The user's own settings and prompt for the API's `infotext` field.

    Pasting in the UI runs the `on_infotext_pasted` callbacks (callbacks.py puts the user's own steps, CFG,
    sampler and schedule back from `Accelerator base`, and takes the recorded tag out of the prompt); the
    API's `infotext` runs none, so its request would take the accelerated values as the user's own, and a
    later "Render final" of that image would render at 4 steps. Fields with `api=` names that come after
    the WebUI's own (a script's fields are listed last) set those request fields again. In the UI they fill
    `holder`, a gr.State that nothing reads: the callback has already done the same there.
    """
    if not HAS_API_FIELDS:
        return []

    def own(label: str) -> Callable[[dict[str, Any]], Any]:
        return lambda params: users_own(params).get(label)

    return [
        PasteField(holder, own("Steps"), api="steps"),
        PasteField(holder, own("CFG scale"), api="cfg_scale"),
        PasteField(holder, own("Sampler"), api="sampler_name"),
        PasteField(holder, own("Schedule type"), api="scheduler"),
        PasteField(holder, own("Prompt"), api="prompt"),
        PasteField(holder, own("Hires prompt"), api="hr_prompt"),
    ]


def _without_tags(prompt: str, stems: tuple[str, ...]) -> str:
    for stem in stems:
        prompt = remove_lora_tag(prompt, stem)
    return prompt


def users_own(params: dict[str, Any]) -> dict[str, str]:
    """What pasting an accelerated image's infotext must give the WebUI's own controls: the prompts without
    the recorded tag (the accordion adds it again) and the user's own steps, CFG, sampler and schedule from
    `Accelerator base` instead of the accelerated ones. Empty for an image Accelerator did not make."""
    variant_id = params.get(infotext.ENABLED_LABEL)
    variant = services.catalog().variant(str(variant_id)) if variant_id else None
    if variant is None:
        return {}
    # A recipe-only variant added no tag, so there is none to take out.
    own = {key: _without_tags(params[key], variant.tag_stems) for key in ("Prompt", "Hires prompt")
           if isinstance(params.get(key), str)}  # fmt: skip
    return {**own, **infotext.decode_base(params.get(infotext.BASE_LABEL, ""))}
