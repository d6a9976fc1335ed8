"""Nothing from this extension in the browser console or the WebUI log during the whole browser session.

Runs after the other browser tests (see conftest.py); the known harmless messages of the page itself
(iframeResizer from a CDN, gradio 3's "reading 'props'") are left out.
"""

from __future__ import annotations

import re
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
    assert not ours, f"console errors from the extension: {ours}"


def test_webui_log_has_no_traceback_from_the_extension(console: Any, webui_log_start: int) -> None:
    if not console.pages:
        pytest.skip("no browser test opened a page in this session")
    log = webui_log_since(webui_log_start)
    if not log:
        pytest.skip("WEBUI_LOG is not set or empty")
    tracebacks = [_traceback_at(block) for block in re.split(r"\n(?=Traceback \(most recent call last\))", log)]
    ours = [t for t in tracebacks if t and _OURS.search(t)]
    for other in (t for t in tracebacks if t and t not in ours):
        print(f"not the extension's (left alone): {other.splitlines()[-1][:200]}")
    assert not ours, "tracebacks in the WebUI log:\n" + "\n----\n".join(t[-3000:] for t in ours)


def _traceback_at(block: str) -> str:
    """The traceback that starts the block, up to its exception line: the log lines printed after it (the
    extension's own "Accelerator: ..." lines among them) are not part of it."""
    if not block.startswith("Traceback"):
        return ""
    lines = block.splitlines()
    end = next((i for i, line in enumerate(lines[1:], 1) if line and not line[0].isspace()), len(lines) - 1)
    return "\n".join(lines[: end + 1])
