"""Nothing from this extension in the browser console or the WebUI log during the whole browser session.

Runs after the other browser tests (see conftest.py); the known harmless messages of the page itself
(iframeResizer from a CDN, gradio 3's "reading 'props'") are left out.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import webui_log_since

pytestmark = pytest.mark.after_all_browser_tests
_OURS = re.compile(r"accelerator", re.IGNORECASE)


def test_browser_console_has_no_error_from_the_extension(console: Any) -> None:
    if not console.pages:
        pytest.skip("no browser test opened a page in this session")
    problems = console.problems()
    for entry in problems:
        print(f"[{entry['test']}] {entry['kind']}: {entry['text']} {entry.get('url', '')}")
    ours = [e for e in problems if _OURS.search(e["text"]) or _OURS.search(e.get("url", ""))]
    note = _link_note(ours)
    if ours and note and all("/file=extensions/" in e.get("url", "") for e in ours):
        pytest.skip(f"cannot judge: only the extension's files failed to load.{note}")
    assert not ours, f"console errors from the extension: {ours}{note}"


def _link_note(entries: list[dict[str, str]]) -> str:
    """A 404 for the extension's own files when another run replaced the shared harness's extension link."""
    manifest = os.environ.get("ACC_E2E_MANIFEST")
    if not manifest or not any("/file=extensions/" in e.get("url", "") for e in entries):
        return ""
    root = Path(os.environ.get("ACC_ROOT", Path.home() / "webui-harness"))
    folder = "forge" if os.environ.get("WEBUI_HOST") == "forge" else "webui"
    link = root / folder / "extensions" / "sd-webui-accelerator"
    expected = Path(manifest).parent / "sd-webui-accelerator"
    if link.resolve() != expected.resolve():
        return (
            f"\nNote: {link} now points to {link.resolve() if link.exists() else 'nothing'}, not this run's "
            f"{expected}: another stack run on the same harness replaced or removed it, so the WebUI serves "
            "the extension's files from elsewhere (or 404)."
        )
    return ""


def test_webui_log_has_no_traceback_from_the_extension(console: Any, webui_log_start: int) -> None:
    if not console.pages:
        pytest.skip("no browser test opened a page in this session")
    log = webui_log_since(webui_log_start)
    if not log:
        pytest.skip("WEBUI_LOG is not set or empty")
    blocks = re.split(r"\n(?=Traceback \(most recent call last\))", log)
    ours = [b[:3000] for b in blocks if b.startswith("Traceback") and _OURS.search(b)]
    assert not ours, "tracebacks in the WebUI log:\n" + "\n----\n".join(ours)
