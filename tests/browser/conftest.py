"""Browser layer: the real WebUI page in headless Chromium, driven by Python Playwright.

Needs WEBUI_URL (a running WebUI with Accelerator installed; `python -m tests.e2e.stack run --tests
tests/browser` starts one), the `playwright` package (its wheel brings the driver; no browser download)
and a Chromium binary (ACC_CHROMIUM, default Debian's /usr/bin/chromium). Without any of them every
test here is skipped with the reason.

Screenshots of passing tests go to ACC_BROWSER_DOCS (default `docs/` of the repo) as `<name>-<host>.png`;
a failing test leaves a full-page screenshot in ACC_BROWSER_ARTIFACTS (default: `browser/` beside
WEBUI_LOG, else a temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
URL = os.environ.get("WEBUI_URL", "").rstrip("/")
HOST = os.environ.get("WEBUI_HOST", "a1111")
CHROMIUM = os.environ.get("ACC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
# Known and harmless on this page (see the webui-harness README): a CDN script that cannot load
# offline, and a gradio 3 frontend error unrelated to any extension.
HARMLESS = (
    re.compile(r"iframeResizer", re.IGNORECASE),
    re.compile(r"Cannot read properties of undefined \(reading 'props'\)"),
)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the venv
    sync_playwright = None


def _skip_reason() -> str | None:
    if not URL:
        return "WEBUI_URL is not set: run `python -m tests.e2e.stack run --tests tests/browser`"
    if sync_playwright is None:
        return "the playwright package is not installed: `pip install playwright` (no `playwright install` needed)"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        return f"no Chromium at {CHROMIUM} (set ACC_CHROMIUM, or apt-get install chromium)"
    return None


SKIP_REASON = _skip_reason()
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if Path(str(item.fspath)).resolve().parent == _HERE]
    for item in mine:
        item.add_marker(pytest.mark.browser)
        if SKIP_REASON:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
    # The console check looks at everything the other browser tests did, so it runs after them.
    last = [item for item in mine if item.get_closest_marker("after_all_browser_tests")]
    for item in last:
        items.remove(item)
        items.append(item)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_all_browser_tests: runs after the other browser tests")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@dataclass
class Console:
    """Every console message, page error and failed request of the session, in order."""

    entries: list[dict[str, str]] = field(default_factory=list)
    pages: int = 0

    def attach(self, page: Any, test: str) -> None:
        self.pages += 1

        def on_console(message: Any) -> None:
            location = message.location or {}
            self.entries.append(
                {"test": test, "kind": message.type, "text": message.text, "url": str(location.get("url", ""))}
            )

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.entries.append({"test": test, "kind": "pageerror", "text": str(error)}))
        page.on(
            "requestfailed",
            lambda request: self.entries.append(
                {"test": test, "kind": "requestfailed", "text": f"{request.url} {request.failure}", "url": request.url}
            ),
        )

    def problems(self) -> list[dict[str, str]]:
        """Errors and warnings, without the known harmless ones."""
        kinds = {"error", "warning", "assert", "pageerror", "requestfailed"}
        return [
            e
            for e in self.entries
            if e["kind"] in kinds
            and not any(p.search(e["text"]) for p in HARMLESS)
            and not (e["kind"] == "requestfailed" and "cdnjs" in e["url"])
        ]


@pytest.fixture(scope="session")
def console() -> Console:
    return Console()


@pytest.fixture(scope="session")
def webui_log_start() -> int:
    """Size of the WebUI log when the browser session started: later checks read only what follows."""
    log = os.environ.get("WEBUI_LOG")
    return Path(log).stat().st_size if log and Path(log).is_file() else 0


def webui_log_since(start: int) -> str:
    log = os.environ.get("WEBUI_LOG")
    if not log or not Path(log).is_file():
        return ""
    with open(log, "rb") as handle:
        handle.seek(start)
        return handle.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    explicit = os.environ.get("ACC_BROWSER_ARTIFACTS")
    log = os.environ.get("WEBUI_LOG")
    if explicit:
        folder = Path(explicit)
    elif log:
        folder = Path(log).parent / "browser"
    else:
        folder = Path(tempfile.mkdtemp(prefix="accelerator-browser-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def docs_dir() -> Path:
    folder = Path(os.environ.get("ACC_BROWSER_DOCS", REPO / "docs"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory, webui_log_start: int) -> Iterator[Any]:
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh user-data dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: Any, console: Console, request: pytest.FixtureRequest, artifacts: Path) -> Iterator[Any]:
    """A fresh tab on the WebUI, loaded and ready; a full-page screenshot is kept if the test fails."""
    from tests.browser.webui import open_webui

    tab = browser_context.new_page()
    console.attach(tab, request.node.name)
    try:
        open_webui(tab, URL)
        yield tab
    finally:
        if request.node.stash.get(_FAILED, False):
            shot = artifacts / f"FAILED-{request.node.name}.png"
            try:
                tab.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the failure: {shot}")
            except Exception as error:  # noqa: BLE001 - diagnostics only; never hide the real failure
                print(f"no failure screenshot: {error}")
            tail = webui_log_since(max(0, _log_size() - 6000))
            print("---- end of the WebUI log ----\n" + tail)
        tab.close()


def _log_size() -> int:
    log = os.environ.get("WEBUI_LOG")
    return Path(log).stat().st_size if log and Path(log).is_file() else 0


class Shots:
    """Screenshots for the docs: `<name>-<host>.png`, written when the test gets that far."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, page: Any, name: str, around: list[Any], pad: int = 16) -> Path:
        """A screenshot of the region covering the given locators, with some margin."""
        boxes = [locator.bounding_box() for locator in around]
        boxes = [b for b in boxes if b]
        assert boxes, f"nothing to photograph for {name}"
        left = max(0, min(b["x"] for b in boxes) - pad)
        top = max(0, min(b["y"] for b in boxes) - pad)
        right = max(b["x"] + b["width"] for b in boxes) + pad
        bottom = max(b["y"] + b["height"] for b in boxes) + pad
        path = self.folder / f"{name}-{HOST}.png"
        page.screenshot(
            path=str(path),
            clip={"x": left, "y": top, "width": right - left, "height": bottom - top},
            full_page=True,
            animations="disabled",
            caret="hide",
        )
        return path


@pytest.fixture(scope="session")
def shots(docs_dir: Path) -> Shots:
    return Shots(docs_dir)


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    path = os.environ.get("ACC_E2E_MANIFEST")
    if not path:
        pytest.skip("ACC_E2E_MANIFEST is not set: run `python -m tests.e2e.stack run --tests tests/browser`")
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def catalog(manifest: dict[str, Any]) -> Any:
    """The presets as the WebUI loads them: built-in ones plus the e2e user presets."""
    from lib_accelerator.presets.catalog import builtin_presets_dir, load_catalog

    return load_catalog(builtin_presets_dir(), [Path(manifest["presets"])])


@pytest.fixture(scope="session")
def e2e_variant(catalog: Any, manifest: dict[str, Any]) -> Any:
    """The SD 1.5 Hyper-SD variant of the e2e presets: a small LoRA the fake hub serves."""
    wanted = next(v["id"] for v in manifest["variants"] if v["method"] == "e2e_hyper_sd" and v["family"] == "sd15")
    return catalog.variant(wanted)


@pytest.fixture(scope="session")
def session_state() -> dict[str, Any]:
    """What one test leaves for a later one (the PNG the generation test made)."""
    return {}
