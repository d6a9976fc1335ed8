"""Page helpers for the WebUI's gradio page: the Accelerator accordion, dropdowns, sliders, a generation.

Written against A1111 1.10 (gradio 3.41). Element ids come from the WebUI (`#txt2img_prompt`, `#paste`,
`#html_info_txt2img`, ...) and from `Script.elem_id`: `script_<tab>_accelerator_<item>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Locator, Page, expect

LOAD_TIMEOUT_MS = 180_000  # first page load of a cold WebUI on a busy 2-core machine
EVENT_TIMEOUT_MS = 60_000  # one gradio event round trip (method -> variant -> sliders)
GENERATE_TIMEOUT_MS = 900_000  # a 64x64 generation, first LoRA load included
_TAG = re.compile(r"<lora:([^:>]+):[^>]*>")


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
    """Click a top-level tab by its title ("txt2img", "img2img", "PNG Info")."""
    # gradio 3: `#tabs > .tab-nav button`; gradio 4 (Forge) nests the nav deeper, and its tab buttons (role=tab)
    # take the tab's elem_id + "-button": the WebUI's own tabs are `tab_<name>`, sub-tabs are not.
    page.locator("#tabs > .tab-nav button, #tabs button[role=tab][id^='tab_']").filter(
        has_text=re.compile(rf"^\s*{re.escape(name)}\s*$", re.IGNORECASE)  # Forge shows "Txt2img", "Img2img"
    ).first.click()


def number_of(block: Locator) -> Locator:
    return block.locator("input[type=number]")


def set_number(page: Page, elem_id: str, value: float) -> None:
    box = number_of(page.locator(f"#{elem_id}"))
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


def generate(page: Page, tab: str = "txt2img") -> str:
    """Click Generate and wait for the job to finish; return the infotext under the gallery."""
    info = page.locator(f"#html_info_{tab}").last
    page.locator(f"#{tab}_generate").click()
    expect(page.locator(f"#{tab}_interrupt")).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    expect(page.locator(f"#{tab}_interrupt")).to_be_hidden(timeout=GENERATE_TIMEOUT_MS)
    expect(info).to_contain_text("Steps:", timeout=EVENT_TIMEOUT_MS)
    return info.inner_text().strip()


def infotext_params(text: str) -> dict[str, str]:
    """The `Key: value` pairs of the infotext's parameter line (the one with `Steps:`)."""
    line = next((row for row in text.splitlines() if "Steps:" in row), "")
    pairs = re.findall(r'\s*([\w ./+-]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)', line)
    return {key.strip(): value.strip().strip('"') for key, value in pairs}
