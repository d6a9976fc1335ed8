"""The accordion on the page: it renders in both tabs, opens when ticked, and follows the chosen method."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.webui import EVENT_TIMEOUT_MS, PAGE, Accordion, Dropdown, number, shows, switch_tab

FAMILY = "sd15"  # the stack loads a random-weight SD 1.5 checkpoint
CONTROLS = ("method", "variant", "reset", "strength", "steps", "cfg", "sampler", "schedule", "status", "download")


def test_accordion_renders_in_both_tabs_and_ticking_opens_it(page: Any, shots: Any) -> None:
    for tab in ("img2img", "txt2img"):  # txt2img last: its open accordion is photographed
        switch_tab(page, tab)
        accordion = Accordion(page, tab)
        expect(accordion.root).to_be_visible()
        expect(accordion.header).to_contain_text("Accelerator")
        # In the accordions row, beside "Hires. fix" (txt2img) - the same parent element. SD.Next puts every
        # extension's panel into its own "Extensions" accordion (modules/scripts_manager.py:531-547).
        if PAGE.panel_container:
            inside = page.evaluate(
                "([a, c]) => !!document.getElementById(a).closest(c)", [accordion.id, PAGE.panel_container]
            )
            assert inside, f"the Accelerator accordion is not in {PAGE.panel_container}"
        elif tab == "txt2img":
            same_row = page.evaluate(
                "([a, b]) => document.getElementById(a).parentElement === document.getElementById(b).parentElement",
                [accordion.id, "txt2img_hr"],
            )
            assert same_row, "the Accelerator accordion is not in the accordions row beside Hires. fix"
        # Off and closed on a fresh page: nothing is accelerated unless the user asks.
        assert not accordion.is_open()
        expect(accordion.visible_checkbox).not_to_be_checked()
        expect(accordion.value_checkbox).not_to_be_checked()
        expect(accordion.part("method")).to_be_hidden()

        accordion.open()  # click the header: A1111 ticks and opens a linked InputAccordion together
        expect(accordion.value_checkbox).to_be_checked()  # the value the script receives as `enabled`
        for item in CONTROLS:
            expect(accordion.part(item)).to_be_visible()
        expect(accordion.status).to_contain_text(".safetensors")

        if tab == "img2img":  # and closing it turns it off again
            accordion.header.click()
            expect(accordion.visible_checkbox).not_to_be_checked()
            expect(accordion.value_checkbox).not_to_be_checked()
            assert not accordion.is_open()

    accordion = Accordion(page, "txt2img")
    page.mouse.move(0, 0)
    shots.save(page, "accordion", [accordion.root], pad=6)


def test_fresh_page_shows_the_default_variant_for_the_loaded_model(page: Any, catalog: Any) -> None:
    """The accordion is prefilled from Hyper-SD's default variant for the loaded SD 1.5 model, and the
    controls agree with the status line.

    A1111 restores control values recorded in its ui-config.json (the status line is not recorded), so on
    a WebUI that recorded another default earlier the controls and the status line can disagree.
    """
    method = catalog.method("hyper_sd")
    default = method.default_variant(FAMILY)
    accordion = Accordion(page, "txt2img")
    accordion.open()
    expect(accordion.method.input).to_have_value(shows(method.id, method.name))
    expect(accordion.status).to_contain_text(default.file.save_as)  # the extension's own start variant
    shown = accordion.variant.text()
    assert shows(default.id, default.label).match(shown), (
        f"Variant shows {shown!r} on a fresh page, but the status line describes {default.id!r} "
        f"({default.steps} steps), the default for {FAMILY}. If the WebUI's ui-config.json records {shown!r} "
        "for this dropdown, A1111 restored it and the status line does not follow the restored value."
    )
    expect(accordion.number("steps")).to_have_value(number(default.steps))
    expect(accordion.number("cfg")).to_have_value(number(default.cfg))
    expect(accordion.number("strength")).to_have_value(number(default.strength))


def _expect_prefilled(accordion: Accordion, variant: Any) -> None:
    expect(accordion.variant.input).to_have_value(shows(variant.id, variant.label), timeout=EVENT_TIMEOUT_MS)
    expect(accordion.number("steps")).to_have_value(number(variant.steps))
    expect(accordion.number("cfg")).to_have_value(number(variant.cfg))
    expect(accordion.number("strength")).to_have_value(number(variant.strength))
    expect(accordion.status).to_contain_text(variant.file.save_as)
    for name in ("sampler", "schedule"):
        assert Dropdown(accordion.part(name)).text() == "Preset"


def test_choosing_a_method_updates_variant_and_prefilled_values(page: Any, catalog: Any, shots: Any) -> None:
    accordion = Accordion(page, "txt2img")
    accordion.open()
    lcm = catalog.method("lcm")
    chosen = accordion.choose_method(lcm.id, lcm.name)
    expect(accordion.method.input).to_have_value(chosen)
    _expect_prefilled(accordion, lcm.default_variant(FAMILY))
    page.mouse.move(0, 0)
    shots.save(page, "method-choice", [accordion.root], pad=6)

    hyper = catalog.method("hyper_sd")
    accordion.choose_method(hyper.id, hyper.name)
    _expect_prefilled(accordion, hyper.default_variant(FAMILY))


def test_a_typed_variant_of_another_method_switches_the_method(page: Any, catalog: Any) -> None:
    """The variant box takes typed ids; the generation would otherwise use the shown method's default."""
    accordion = Accordion(page, "txt2img")
    accordion.open()
    hyper = catalog.method("hyper_sd")
    accordion.choose_method(hyper.id, hyper.name)
    lcm = catalog.method("lcm")
    typed = lcm.default_variant(FAMILY)
    box = accordion.variant.input
    box.fill(typed.id)
    box.press("Enter")
    box.press("Tab")
    expect(accordion.method.input).to_have_value(shows(lcm.id, lcm.name), timeout=EVENT_TIMEOUT_MS)
    _expect_prefilled(accordion, typed)
