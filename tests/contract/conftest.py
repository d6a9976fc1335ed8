"""Contract layer: the glue in `lib_accelerator.webui` against the real WebUI code of a checkout.

Runs when WEBUI_ROOT points at an A1111 or Forge checkout and pytest runs in that checkout's venv
(`tests/run_contract.sh` does both for every checkout it finds); otherwise every test skips with the reason.
Test modules import `modules` and `lib_accelerator.webui` inside fixtures and tests only, so collecting
them never needs a WebUI.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.contract import webui_env

_HERE = Path(__file__).resolve().parent


def _skip_reason() -> str:
    root, reason = webui_env.checkout_or_reason()
    if root is None:
        return reason
    missing = [name for name in ("torch", "gradio") if importlib.util.find_spec(name) is None]
    if missing:
        return (
            f"{webui_env.ENV_ROOT} is set but this python ({sys.executable}) has no "
            f"{', '.join(missing)}: run pytest with the WebUI's own venv python"
        )
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if _HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.contract)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> str:
    root, reason = webui_env.checkout_or_reason()
    if root is None:
        return f"accelerator contract tests: skipped ({reason})"
    kind = "Forge" if webui_env.is_forge_checkout(root) else "A1111"
    return f"accelerator contract tests: {kind} checkout {root}"


@pytest.fixture(scope="session")
def webui() -> webui_env.WebUI:
    root, reason = webui_env.checkout_or_reason()
    if root is None:
        pytest.skip(reason)
    return webui_env.boot(root)


@pytest.fixture(scope="session")
def host(webui: webui_env.WebUI):
    from lib_accelerator.webui import hosts

    return hosts.current()


@pytest.fixture(scope="session")
def schedule_type(webui):
    """A1111's Schedule type (`modules/sd_schedulers.py`, `p.scheduler`); Forge Classic has none, and
    test_forge_classic.py checks what it has instead."""
    if not (webui.root / "modules" / "sd_schedulers.py").is_file():
        pytest.skip("no Schedule type registry in this WebUI (Forge Classic: see test_forge_classic.py)")


@pytest.fixture(scope="session")
def caps(host):
    return host.capabilities()


@pytest.fixture(scope="session")
def catalog():
    from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog

    loaded = load_catalog(builtin_presets_dir())
    assert loaded.errors == (), [str(e) for e in loaded.errors]
    assert loaded.all_variants(), "no built-in preset loaded"
    return loaded
