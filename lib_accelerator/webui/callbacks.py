"""Callbacks registered once when the WebUI loads the script; none of them touches the network."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modules import script_callbacks

from lib_accelerator.webui import api, compare_ui, hosts, settings, ui_paste, xyz


def _strip_recorded_tag(_text: str, params: dict[str, Any]) -> None:
    """Pasted infotext restores the accordion, which adds the tag again; a stale tag would stay behind
    if the user then picks another method. The main controls get the user's own settings back."""
    params.update(ui_paste.users_own(params))


# The WebUI's `on_*` functions find the registering file with `inspect.stack()`, which costs about 70 ms per
# call while the WebUI starts (inspect maps every one of ~6000 loaded modules to its file): six calls were
# ~0.5 s of "load scripts/accelerator.py". `add_callback` takes the file instead; the callback's name and
# extension come out the same. Hosts whose `add_callback` lacks `filename` get the `on_*` functions.
SCRIPT_FILE = str(Path(__file__).resolve().parents[2] / "scripts" / "accelerator.py")


def _add(category: str, function: Callable[..., Any]) -> None:
    add = getattr(script_callbacks, "add_callback", None)
    table = getattr(script_callbacks, "callback_map", {})
    if add is not None and f"callbacks_{category}" in table and "filename" in inspect.signature(add).parameters:
        add(table[f"callbacks_{category}"], function, category=category, filename=SCRIPT_FILE)
    elif f"callbacks_{category}" in table and getattr(script_callbacks, "ScriptCallback", None) is not None:
        # Forge Classic's add_callback takes no file and walks the stack itself; its record is (script, callback).
        record = script_callbacks.ScriptCallback
        if tuple(getattr(record, "_fields", ())) == ("script", "callback"):
            table[f"callbacks_{category}"].append(record(SCRIPT_FILE, function))
            return
        getattr(script_callbacks, f"on_{category}")(function)
    else:
        getattr(script_callbacks, f"on_{category}")(function)


def _register_tcd_sampler(*_args: Any) -> None:
    """Accelerator's TCD sampler is a k-diffusion one: hosts without k-diffusion (SD.Next) have their own TCD."""
    if hosts.current().samples_with_k_diffusion():
        from lib_accelerator.webui import tcd_sampler

        tcd_sampler.register()


def register() -> None:
    _add("ui_settings", settings.register)
    _add("infotext_pasted", _strip_recorded_tag)
    _add("before_ui", _register_tcd_sampler)
    _add("before_ui", xyz.register_axes)
    _add("after_component", compare_ui.WIRING.after_component)
    _add("app_started", api.register)
