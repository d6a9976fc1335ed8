"""Accelerator's Settings section in the WebUI's real options object, registered through its callback."""

from __future__ import annotations

import os
import stat

import pytest

from tests.contract import webui_env


@pytest.fixture(scope="module")
def registered(webui):
    """Load the script (which registers the `on_ui_settings` callback) and run the WebUI's own
    dispatch of that callback, as `modules/ui.py` does before it builds the Settings tab."""
    from modules import script_callbacks

    from lib_accelerator.webui import settings

    webui_env.accelerator_module()
    script_callbacks.ui_settings_callback()
    return settings


def test_every_option_is_registered_in_the_section(registered):
    from modules import shared

    keys = [key for key in shared.opts.data_labels if key.startswith("accelerator_")]
    assert set(keys) == set(registered._options())
    for key in keys:
        info = shared.opts.data_labels[key]
        assert tuple(info.section[:2]) == registered.SECTION
        assert shared.opts.data[key] == info.default  # add_option fills in the default
    assert registered.get("accelerator_auto_download", None) is True


def test_token_leaves_the_options_at_once(webui, registered):
    from modules import shared

    key = registered.TOKEN_KEY
    assert shared.opts.data_labels[key].restrict_api
    # /sdapi/v1/options (POST) goes through opts.set(..., is_api=True): refused for this key
    assert shared.opts.set(key, "hf_from_the_api", is_api=True) is False
    assert shared.opts.data[key] == ""

    # the Settings tab goes through opts.set(...), which calls the option's onchange
    shared.opts.set(key, "hf_contract_test_token")
    try:
        assert shared.opts.data[key] == ""  # so /sdapi/v1/options (GET) and config.json never show it
        assert registered.token() == "hf_contract_test_token"
        mode = stat.S_IMODE(os.stat(registered._token_file()).st_mode)
        assert mode == 0o600
        assert webui.data_dir in registered._token_file().parents
    finally:
        registered._token_file().unlink(missing_ok=True)
