"""Page helpers for the WebUI's gradio page: the Accelerator accordion, dropdowns, sliders, a generation.

Written against A1111 1.10 (gradio 3.41). Element ids come from the WebUI (`#txt2img_prompt`, `#paste`,
`#html_info_txt2img`, ...) and from `Script.elem_id`: `script_<tab>_accelerator_<item>`. What a host names or
places differently is in its `HostPage` below (`PAGE` is the one of the host under test, `WEBUI_HOST`), so the
tests themselves name no host's ids.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Locator, Page, expect

LOAD_TIMEOUT_MS = 180_000  # first page load of a cold WebUI on a busy 2-core machine
EVENT_TIMEOUT_MS = 60_000  # one gradio event round trip (method -> variant -> sliders)
GENERATE_TIMEOUT_MS = 900_000  # a 64x64 generation, first LoRA load included
_TAG = re.compile(r"<lora:([^:>]+):[^>]*>")


@dataclass(frozen=True)
class HostPage:
    """Where one WebUI's page keeps what the tests use. The defaults are A1111's (and Forge's, reForge's and
    Forge Classic's: the same ids)."""

    # A1111's title of a top-level tab -> this host's title
    tab_titles: dict[str, str] = field(default_factory=dict)
    # where an extension's always-on panel sits: beside Hires. fix (None), or inside this container
    panel_container: str | None = None
    # PNG Info: the upload box, the panel that shows the parameters, its "Send to txt2img" button
    pnginfo_upload: str = "#pnginfo_image input[type=file]"
    pnginfo_panel: str = "#tab_pnginfo"
    pnginfo_to_txt2img: str = "#tab_pnginfo #txt2img_tab"
    # the X/Y/Z plot script: its entry in the Script dropdown (lower case), its elem_id prefix, its X fill button
    script_list: str = "#tab_txt2img #script_list"
    xyz_title: str = "x/y/z plot"
    xyz_prefix: str = "script_txt2img_xyz_plot"
    xyz_fill_x: str = "#tab_txt2img #xyz_grid_fill_x_tool_button"
    # how the page shows a job: the Interrupt button is only shown while one runs (True), or the Generate
    # button's label shows the job's progress and reads "Generate" again at its end (False)
    interrupt_shows_job: bool = True
    # `html_info_<tab>` shows the infotext escaped (A1111), or puts the raw text into the page as HTML, where a
    # `<lora:...>` tag is taken for an element and vanishes (SD.Next): then it is read from the generation info
    infotext_as_html: bool = True
    # the WebUI serves an extension's `localizations/*.json` as `window.localization`
    reads_localizations: bool = True
    # `?__theme=light|dark` picks gradio's light or dark colours (SD.Next: its own theme decides, dark in both)
    theme_follows_url: bool = True


A1111 = HostPage()
# SD.Next 058a7f0c, "Standard" UI (modules/ui.py, ui_common.py, ui_postprocessing.py, scripts_manager.py):
# - the tabs are "Text", "Image"; PNG info is part of "Process" (its image box `extras_image`, the send buttons in
#   `copy_buttons_process`, ids `<tab>_tab` as in A1111);
# - extensions' always-on panels are in its "Extensions" accordion `<tab>_script_alwayson`;
# - `html_info_<tab>` is hidden and holds the raw infotext as HTML (`html_info_formatted_<tab>` shows it);
# - its X/Y/Z script is "XYZ Grid Script" (scripts/xyz_grid.py), fill button `xyz_grid_x_list`;
# - Stop is always shown; ui/progressBar.ts writes the job's progress into the Generate button's label;
# - modules/localization.py lists no localizations (the listing code is commented out): SD.Next translates
#   its UI from its own ui/locale/locale_*.json only;
# - its "Standard" UI themes (option gradio_theme) are light or dark whatever `?__theme=` says.
SDNEXT = HostPage(
    tab_titles={"txt2img": "Text", "img2img": "Image", "PNG Info": "Process"},
    panel_container='[id$="_script_alwayson"]',
    pnginfo_upload="#extras_image input[type=file]",
    pnginfo_panel="#tab_process",
    pnginfo_to_txt2img="#copy_buttons_process #txt2img_tab",
    script_list="#txt2img_script_list",
    xyz_title="xyz grid script",
    xyz_prefix="script_txt2img_xyz_grid_script",
    xyz_fill_x="#tab_txt2img #xyz_grid_x_list",
    interrupt_shows_job=False,
    infotext_as_html=False,
    reads_localizations=False,
    theme_follows_url=False,
)
PAGES = {"sdnext": SDNEXT}
PAGE = PAGES.get(os.environ.get("WEBUI_HOST", "a1111"), A1111)


def lora_tags(text: str) -> list[str]:
    """Names of the `<lora:NAME:...>` tags in a prompt, in order."""
    return _TAG.findall(text)


def shows(entity_id: str, label: str) -> re.Pattern[str]:
    """What a dropdown may show for a choice: its id, or a text containing its human label."""
    return re.compile(rf"^(?:{re.escape(entity_id)}|.*{re.escape(label)}.*)$")


def number(value: float) -> re.Pattern[str]:
    """A slider's number box showing `value` (4 or 4.0, 1 or 1.0)."""
    return re.compile(rf"^{value:g}(?:\.0+)?$")


def looks_like_tuple(text: str) -> bool:
    """A choice rendered as a Python tuple, e.g. "('LCM-LoRA · SD 1.5', 'lcm')"."""
    return bool(re.match(r"^\(.*,.*\)$", text.strip()))


def open_webui(page: Page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=LOAD_TIMEOUT_MS)
    page.locator("#txt2img_prompt textarea").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    # onUiLoaded handlers (inputAccordion.js adds the visible checkbox) run after the first render.
    page.locator(".input-accordion-checkbox").first.wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)


def switch_tab(page: Page, name: str) -> None:
    """Click a top-level tab by its A1111 title ("txt2img", "img2img", "PNG Info"), as this host names it."""
    title = PAGE.tab_titles.get(name, name)
    # gradio 3: `#tabs > .tab-nav button`; gradio 4 (Forge) nests the nav deeper, and its tab buttons (role=tab)
    # take the tab's elem_id + "-button": the WebUI's own tabs are `tab_<name>`, sub-tabs are not.
    page.locator("#tabs > .tab-nav button, #tabs button[role=tab][id^='tab_']").filter(
        has_text=re.compile(rf"^\s*{re.escape(title)}\s*$", re.IGNORECASE)  # Forge shows "Txt2img", "Img2img"
    ).first.click()


def number_of(block: Locator) -> Locator:
    return block.locator("input[type=number]")


def reveal(page: Page, elem_id: str) -> None:
    """Open the closed accordions around an element (SD.Next keeps Seed in one), never the element's own."""
    page.evaluate(
        """id => {
            let node = document.getElementById(id);
            node = node && node.parentElement;
            for (; node; node = node.parentElement) {
                const header = Array.from(node.children).find(c => c.classList.contains('label-wrap'));
                if (header && !header.classList.contains('open')) header.click();
            }
        }""",
        elem_id,
    )


def set_number(page: Page, elem_id: str, value: float) -> None:
    box = number_of(page.locator(f"#{elem_id}"))
    if not box.is_visible():
        reveal(page, elem_id)
    box.fill(str(value))
    box.press("Tab")
    expect(box).to_have_value(str(value))


@dataclass
class Dropdown:
    """A gradio 3 dropdown: the shown text is the value of its text input, choices are `ul.options li`."""

    block: Locator

    @property
    def input(self) -> Locator:
        return self.block.locator("input").first

    def text(self) -> str:
        return self.input.input_value()

    def _open(self) -> Locator:
        """Show the choices: focus the input afresh (a click on an already focused input does not reopen it)."""
        self._close()
        self.input.click()
        items = self.block.locator("ul.options li")
        items.first.wait_for(state="visible", timeout=EVENT_TIMEOUT_MS)
        return items

    def _close(self) -> None:
        self.input.blur()
        expect(self.block.locator("ul.options")).to_have_count(0, timeout=EVENT_TIMEOUT_MS)

    def options(self) -> list[str]:
        items = self._open()
        texts = [t.strip() for t in items.all_inner_texts()]
        self._close()
        return texts

    def choose(self, matches: Any) -> str:
        """Click the first choice for which `matches(text)` is true; return its text."""
        items = self._open()
        # the selected choice carries a check mark ("✓\nhyper_sd" in gradio 3)
        texts = [t.strip().removeprefix("✓").strip() for t in items.all_inner_texts()]
        index = next((i for i, t in enumerate(texts) if matches(t)), None)
        assert index is not None, f"no choice matches in {texts}"
        items.nth(index).click()
        return texts[index]


class Accordion:
    """The Accelerator accordion of one tab ("txt2img" or "img2img")."""

    def __init__(self, page: Page, tab: str) -> None:
        self.page = page
        self.tab = tab
        self.id = f"script_{tab}_accelerator_accelerator"
        self.root = page.locator(f"#{self.id}")

    def part(self, item: str) -> Locator:
        return self.page.locator(f"#{self.id}_{item}").first

    @property
    def header(self) -> Locator:
        return self.root.locator(".label-wrap").first

    @property
    def visible_checkbox(self) -> Locator:
        """The checkbox in the header (inputAccordion.js)."""
        return self.page.locator(f"#{self.id}-visible-checkbox")

    @property
    def value_checkbox(self) -> Locator:
        """The hidden gradio checkbox whose value the script receives as `enabled`."""
        return self.page.locator(f"#{self.id}-checkbox input")

    def is_open(self) -> bool:
        return "open" in (self.header.get_attribute("class") or "").split()

    def open(self) -> None:
        """Click the header: A1111 opens the accordion and ticks it (they are linked until the box is clicked)."""
        if not self.is_open():
            self.header.click()
        expect(self.header).to_have_class(re.compile(r"\bopen\b"))
        expect(self.visible_checkbox).to_be_checked()

    @property
    def method(self) -> Dropdown:
        return Dropdown(self.part("method"))

    @property
    def variant(self) -> Dropdown:
        return Dropdown(self.part("variant"))

    @property
    def sampler(self) -> Dropdown:
        return Dropdown(self.part("sampler"))

    @property
    def schedule(self) -> Dropdown:
        return Dropdown(self.part("schedule"))

    def choose_method(self, method_id: str, name: str) -> str:
        """Pick a method in the dropdown by its id or by a label starting with its name ("LCM-LoRA" must
        not pick "E2E LCM-LoRA"); the choices must be readable, not Python tuples."""
        options = self.method.options()
        tuples = [o for o in options if looks_like_tuple(o)]
        assert not tuples, f"the Method dropdown shows Python tuples instead of labels: {tuples}"
        return self.method.choose(lambda text: text == method_id or text.startswith(name))

    def number(self, item: str) -> Locator:
        """The number box of a slider: "strength", "steps", "cfg"."""
        return number_of(self.part(item))

    @property
    def status(self) -> Locator:
        # gradio 3 gives the id to both the block and its inner .prose element, gradio 4 to the block only
        return self.page.locator(f"#{self.id}_status").first


def infotext(page: Page, tab: str = "txt2img") -> Locator:
    """The element that shows the infotext of the tab's last generation (it says "Steps:" once there is one)."""
    return page.locator(f"#html_info_{tab}").last


def read_infotext(page: Page, tab: str = "txt2img") -> str:
    """The infotext of the tab's last generation, as the WebUI wrote it."""
    if PAGE.infotext_as_html:
        return infotext(page, tab).inner_text().strip()
    # the first image's (the grid's, if any), as `html_info` shows it
    shown = json.loads(page.locator(f"#generation_info_{tab} textarea").input_value())
    return str(shown["infotexts"][0]).strip()


def run_job(page: Page, tab: str, start: Callable[[], None]) -> None:
    """Do `start` (which makes the page start a generation) and wait until the job has ended."""
    if PAGE.interrupt_shows_job:
        start()
        expect(page.locator(f"#{tab}_interrupt")).to_be_visible(timeout=EVENT_TIMEOUT_MS)
        expect(page.locator(f"#{tab}_interrupt")).to_be_hidden(timeout=GENERATE_TIMEOUT_MS)
        return
    # The label changes on the first progress answer (sent when the job is submitted, so never missed) and is
    # "Generate" again when the progress says the job ended: an observer sees both, however short the job.
    page.evaluate(
        """tab => {
            const button = document.getElementById(tab + '_generate');
            const job = window.__acceleratorJob = {started: false, done: false};
            new MutationObserver((_, observer) => {
                const label = button.innerText.trim();
                if (label !== 'Generate') job.started = true;
                else if (job.started) { job.done = true; observer.disconnect(); }
            }).observe(button, {childList: true, characterData: true, subtree: true});
        }""",
        tab,
    )
    start()
    page.wait_for_function("() => window.__acceleratorJob.started", timeout=EVENT_TIMEOUT_MS)
    page.wait_for_function("() => window.__acceleratorJob.done", timeout=GENERATE_TIMEOUT_MS)


def generate(page: Page, tab: str = "txt2img") -> str:
    """Click Generate and wait for the job to finish; return the infotext of the generation."""
    info = infotext(page, tab)
    run_job(page, tab, page.locator(f"#{tab}_generate").click)
    expect(info).to_contain_text("Steps:", timeout=EVENT_TIMEOUT_MS)
    return read_infotext(page, tab)


def infotext_params(text: str) -> dict[str, str]:
    """The `Key: value` pairs of the infotext's parameter line (the one with `Steps:`)."""
    line = next((row for row in text.splitlines() if "Steps:" in row), "")
    pairs = re.findall(r'\s*([\w ./+-]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)', line)
    return {key.strip(): value.strip().strip('"') for key, value in pairs}
