"""The extension's callbacks in the WebUI's real registry: registered under this script's file (so the
WebUI names them as its own `on_*` functions would), without the per-call `inspect.stack()` those cost."""

from __future__ import annotations

import re
import time

from tests.contract import webui_env

CATEGORIES = {"ui_settings": 1, "infotext_pasted": 1, "before_ui": 2, "after_component": 1, "app_started": 1}


def test_callbacks_are_registered_under_the_script_file(webui):
    from modules import script_callbacks

    from lib_accelerator.webui import callbacks

    webui_env.accelerator_module()  # loading the script registers them once
    assert str(webui_env.ACCELERATOR_SCRIPT.resolve()) == callbacks.SCRIPT_FILE
    for category, count in CATEGORIES.items():
        ours = [c for c in script_callbacks.callback_map[f"callbacks_{category}"] if c.script == callbacks.SCRIPT_FILE]
        assert len(ours) == count, (category, ours)
        if not hasattr(ours[0], "name"):  # Forge Classic's records are (script, callback): no name to check
            continue
        # what `on_<category>` would have named it: <extension or base>/accelerator.py/<category>[-n]
        names = [c.name.split("/") for c in ours]
        assert all(n[1] == "accelerator.py" and re.fullmatch(rf"{category}(-\d+)?", n[2]) for n in names), names


def test_registering_does_not_walk_the_stack(webui, monkeypatch):
    import inspect

    from modules import script_callbacks

    from lib_accelerator.webui import callbacks

    def no_stack(*_args, **_kwargs):
        raise AssertionError("inspect.stack() was called")

    monkeypatch.setattr(inspect, "stack", no_stack)
    saved = {key: list(value) for key, value in script_callbacks.callback_map.items()}
    try:
        started = time.perf_counter()
        callbacks.register()
        elapsed = time.perf_counter() - started
    finally:
        for key, value in saved.items():
            script_callbacks.callback_map[key][:] = value
    print(f"register(): {elapsed * 1000:.2f} ms")
