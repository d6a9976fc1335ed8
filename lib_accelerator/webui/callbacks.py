"""Callbacks registered once when the WebUI loads the script; none of them touches the network."""

from __future__ import annotations

from typing import Any

from modules import script_callbacks

from lib_accelerator import infotext
from lib_accelerator.prompt import remove_lora_tag
from lib_accelerator.webui import api, compare_ui, runtime, settings, tcd_sampler, xyz


def _strip_recorded_tag(_text: str, params: dict[str, Any]) -> None:
    """Pasted infotext restores the accordion, which adds the tag again; a stale tag would stay behind
    if the user then picks another method, so the recorded one is taken out of the pasted prompt."""
    variant_id = params.get(infotext.ENABLED_LABEL)
    variant = runtime.catalog().variant(str(variant_id)) if variant_id else None
    if variant is None:
        return
    for key in ("Prompt", "Hires prompt"):
        if isinstance(params.get(key), str):
            params[key] = remove_lora_tag(params[key], variant.file.stem)
    # The main controls get the user's own settings back, not the accelerated ones.
    params.update(infotext.decode_base(params.get(infotext.BASE_LABEL, "")))


def register() -> None:
    script_callbacks.on_ui_settings(settings.register)
    script_callbacks.on_infotext_pasted(_strip_recorded_tag)
    script_callbacks.on_before_ui(tcd_sampler.register)
    script_callbacks.on_before_ui(xyz.register_axes)
    script_callbacks.on_after_component(compare_ui.WIRING.after_component)
    script_callbacks.on_app_started(api.register)
