"""The panel people use every day: draft -> final -> draft, their own recipes, Japanese, light and dark themes.

Generations are 64x64 with the random-weight SD 1.5 model and the e2e LoRA with the fewest steps; the
user's own step count is small too. Each test leaves the WebUI as it found it (recipe files deleted,
localization set back).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import HOST, URL
from tests.browser.webui import (
    EVENT_TIMEOUT_MS,
    LOAD_TIMEOUT_MS,
    PAGE,
    Accordion,
    Dropdown,
    generate,
    infotext,
    infotext_params,
    number,
    open_webui,
    read_infotext,
    run_job,
    set_number,
    shows,
)

PROMPT = "a green teapot on a wooden table"
OWN_STEPS = 3  # the user's own (main) step count, which the final render must use
RECIPE = "Browser recipe"


@pytest.fixture(scope="module")
def fast_variant(catalog: Any, manifest: dict[str, Any]) -> Any:
    """The SD 1.5 e2e variant with the fewest steps (all of them are small random LoRAs on the fake hub)."""
    ids = [v["id"] for v in manifest["variants"] if v["family"] == "sd15"]
    return min((catalog.variant(i) for i in ids), key=lambda v: (v.steps, v.id))


def _api(path: str, payload: dict[str, Any] | None = None) -> Any:
    import requests

    session = requests.Session()
    session.trust_env = False  # 127.0.0.1: never a proxy
    if payload is None:
        response = session.get(f"{URL}{path}", timeout=120)
    else:
        response = session.post(f"{URL}{path}", json=payload, timeout=120)
    assert response.status_code == 200, response.text[:2000]
    return response.json()


def _choose_method(accordion: Accordion, method: Any) -> None:
    """By label (gradio 4) or by id (gradio 3.41, which cannot show labels for values)."""
    accordion.method.choose(lambda text: text == method.id or text.startswith(method.name))


def _open_recipes(page: Page, accordion: Accordion) -> Locator:
    panel = accordion.part("recipes")
    header = panel.locator(".label-wrap").first
    if "open" not in (header.get_attribute("class") or "").split():
        header.click()
    expect(accordion.part("recipe_save")).to_be_visible()
    return panel


def _run_by(page: Page, tab: str, action: Callable[[], None]) -> str:
    """Do `action` (which makes the page start a generation) and return the new infotext."""
    info = infotext(page, tab)
    before = info.inner_text().strip()
    run_job(page, tab, action)
    expect(info).to_contain_text("Steps:", timeout=EVENT_TIMEOUT_MS)
    expect(info).not_to_have_text(before, timeout=EVENT_TIMEOUT_MS)
    return read_infotext(page, tab)


def _generated(page: Page) -> dict[str, Any]:
    """The generation info the WebUI keeps for the gallery (the JSON Render final reads the seed from)."""
    text = page.locator("#generation_info_txt2img textarea").input_value()
    data: dict[str, Any] = json.loads(text)
    return data


def _reload(page: Page) -> None:
    page.reload(wait_until="domcontentloaded", timeout=LOAD_TIMEOUT_MS)
    page.locator("#txt2img_prompt textarea").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    page.locator(".input-accordion-checkbox").first.wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)


def _prepare_prompt(page: Page, seed: int, batch_size: int = 1) -> None:
    page.locator("#txt2img_prompt textarea").fill(PROMPT)
    set_number(page, "txt2img_width", 64)
    set_number(page, "txt2img_height", 64)
    set_number(page, "txt2img_seed", seed)
    set_number(page, "txt2img_steps", OWN_STEPS)
    set_number(page, "txt2img_batch_size", batch_size)


def _doc_name(name: str) -> str:
    """The README shows A1111's panel as `<name>.png`; another host's run writes `<name>-<host>.png` beside it."""
    return f"{name}.png" if HOST == "a1111" else f"{name}-{HOST}.png"


def _screenshot(page: Page, path: Path, around: Locator) -> None:
    box = around.bounding_box()
    assert box, f"nothing to photograph for {path.name}"
    pad = 12
    clip = {"x": max(0, box["x"] - pad), "y": max(0, box["y"] - pad)}
    clip.update(width=box["width"] + 2 * pad, height=box["height"] + 2 * pad)
    page.screenshot(path=str(path), clip=clip, full_page=True, animations="disabled", caret="hide")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_panel_follows_the_theme(page: Page, theme: str, docs_dir: Path) -> None:
    open_webui(page, f"{URL}/?__theme={theme}")
    is_dark = page.evaluate("() => document.body.classList.contains('dark')")
    assert is_dark == (theme == "dark")
    accordion = Accordion(page, "txt2img")
    accordion.open()
    _open_recipes(page, accordion)
    # Lists and status line are fetched again by the page (accelerator.js), not left as at server start.
    expect(accordion.part("recipe_status")).to_contain_text("recipe(s) in", timeout=EVENT_TIMEOUT_MS)
    shown = accordion.variant.text()
    # the status line describes the variant shown (gradio 3 shows its id, gradio 4 its label)
    expect(accordion.status).to_contain_text(shown)
    # The status text takes the theme's colours: lighter than its background where the WebUI's own labels are
    # (in dark; darker in light), with enough contrast.
    (text, ground), (own, own_ground) = page.evaluate(
        """([guideSelector, ownSelector]) => {
            const colours = element => {
                let node = element;
                let ground = 'rgba(0, 0, 0, 0)';
                while (node && /rgba\\(0, 0, 0, 0\\)|transparent/.test(ground)) {
                    ground = getComputedStyle(node).backgroundColor;
                    node = node.parentElement;
                }
                return [getComputedStyle(element).color, ground];
            };
            const own = document.querySelector(ownSelector + ' label span') || document.querySelector(ownSelector);
            return [colours(document.querySelector(guideSelector)), colours(own)];
        }""",
        [f"#{accordion.id}_status .accelerator-guide", "#txt2img_steps"],  # the WebUI's own Steps label
    )

    def brightness(css: str) -> float:
        return sum(int(x) for x in re.findall(r"\d+", css)[:3]) / 3

    light_on_dark = brightness(text) > brightness(ground)
    assert light_on_dark == (brightness(own) > brightness(own_ground)), (theme, text, ground, own, own_ground)
    if PAGE.theme_follows_url:
        assert light_on_dark == (theme == "dark"), (theme, text, ground)
    assert abs(brightness(text) - brightness(ground)) > 90, f"low contrast: {text} on {ground}"
    # The accordion stays inside its column (the narrow layout does not get wider).
    column = page.evaluate(
        "id => { const a = document.getElementById(id).getBoundingClientRect();"
        " const c = document.getElementById('txt2img_settings').getBoundingClientRect();"
        " return [a.left >= c.left - 1, a.right <= c.right + 1]; }",
        accordion.id,
    )
    assert column == [True, True], "the panel is wider than the settings column"
    page.mouse.move(0, 0)
    _screenshot(page, docs_dir / _doc_name(f"panel-{theme}"), accordion.root)


def test_draft_then_final_then_draft_again_from_a_batch(page: Page, fast_variant: Any, catalog: Any) -> None:
    accordion = Accordion(page, "txt2img")
    _prepare_prompt(page, seed=4321, batch_size=2)
    accordion.open()
    _choose_method(accordion, catalog.method(fast_variant.method_id))
    expect(accordion.variant.input).to_have_value(shows(fast_variant.id, fast_variant.label), timeout=EVENT_TIMEOUT_MS)

    draft = infotext_params(generate(page))
    assert draft.get("Accelerator") == fast_variant.id and draft.get("Steps") == str(fast_variant.steps), draft
    assert draft.get("Seed") == "4321", draft
    prompt_box = page.locator("#txt2img_prompt textarea").input_value()
    assert "<lora:" not in prompt_box, f"the LoRA tag leaked into the prompt box: {prompt_box!r}"

    # Pick the second image of the batch (the gallery may start with the grid: index_of_first_image).
    first = int(_generated(page).get("index_of_first_image") or 0)
    thumbnails = page.locator("#txt2img_gallery .thumbnail-item.thumbnail-small")
    expect(thumbnails).to_have_count(first + 2, timeout=EVENT_TIMEOUT_MS)
    thumbnails.nth(first + 1).click()
    picked = page.evaluate("() => accelerator.selectedSeed('txt2img')")
    assert picked["seed"] == 4322, picked

    final_button = accordion.part("final")
    assert final_button.evaluate("e => e.tagName") == "BUTTON" and final_button.get_attribute("title")
    final = infotext_params(_run_by(page, "txt2img", final_button.click))
    assert "Accelerator" not in final, final
    assert final.get("Steps") == str(OWN_STEPS) and final.get("Seed") == "4322", final
    assert _generated(page)["all_seeds"] == [4322], "the final render should be the one selected image"
    expect(accordion.visible_checkbox).not_to_be_checked()
    expect(accordion.value_checkbox).not_to_be_checked()
    expect(accordion.part("draft")).to_be_visible()  # the panel stays open while off

    # Keyboard: focus "Draft again" and press Enter.
    draft_button = accordion.part("draft")
    assert draft_button.get_attribute("aria-label") or draft_button.get_attribute("title")

    def by_keyboard() -> None:
        draft_button.focus()
        expect(draft_button).to_be_focused()
        page.keyboard.press("Enter")

    again = infotext_params(_run_by(page, "txt2img", by_keyboard))
    assert again.get("Accelerator") == fast_variant.id and again.get("Steps") == str(fast_variant.steps), again
    assert again.get("Seed") == "4322", again
    assert _generated(page)["all_seeds"] == [4322, 4323], "Draft again restores the batch that Render final set to 1"
    expect(accordion.visible_checkbox).to_be_checked()
    set_number(page, "txt2img_batch_size", 1)


@pytest.fixture
def recipe_folder(manifest: dict[str, Any]) -> Iterator[Path]:
    """The WebUI's user presets folder (ACCELERATOR_PRESETS_DIR); the test's recipe files go again after."""
    folder = Path(manifest["presets"])
    before = set(folder.glob("*.json"))
    yield folder
    for path in set(folder.glob("*.json")) - before:
        path.unlink()


def test_save_reload_apply_rename_export_delete_import_a_recipe(
    page: Page, fast_variant: Any, catalog: Any, recipe_folder: Path
) -> None:
    accordion = Accordion(page, "txt2img")
    accordion.open()
    _choose_method(accordion, catalog.method(fast_variant.method_id))
    expect(accordion.variant.input).to_have_value(shows(fast_variant.id, fast_variant.label), timeout=EVENT_TIMEOUT_MS)
    steps = fast_variant.steps + 1
    set_number(page, f"{accordion.id}_steps", steps)
    set_number(page, f"{accordion.id}_strength", 0.8)
    _open_recipes(page, accordion)
    accordion.part("recipe_name").locator("textarea, input").first.fill(RECIPE)
    accordion.part("recipe_tie").locator("input").check()
    accordion.part("recipe_save").click()
    message = accordion.part("recipe_status")
    expect(message).to_contain_text(f"Saved {RECIPE}", timeout=EVENT_TIMEOUT_MS)
    expect(message).to_contain_text("proposed when this checkpoint is loaded")
    saved = recipe_folder / "my_browser_recipe.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["variants"][0]["steps"] == steps and data["variants"][0]["strength"] == 0.8
    assert data["recipe"]["based_on"] == fast_variant.id and data["recipe"]["checkpoint"]
    expect(accordion.method.input).to_have_value(shows("my_browser_recipe", RECIPE))

    # A new page: the recipe is proposed for the loaded checkpoint, and applying it sets the panel.
    _reload(page)
    accordion = Accordion(page, "txt2img")
    accordion.open()
    _open_recipes(page, accordion)
    listed = Dropdown(accordion.part("recipe_list"))
    expect(listed.input).to_have_value(RECIPE, timeout=EVENT_TIMEOUT_MS)
    expect(accordion.part("recipe_status")).to_contain_text(f"Proposed for the loaded checkpoint: {RECIPE}")
    accordion.part("recipe_apply").click()
    expect(accordion.method.input).to_have_value(shows("my_browser_recipe", RECIPE), timeout=EVENT_TIMEOUT_MS)
    expect(accordion.number("steps")).to_have_value(number(steps))
    expect(accordion.number("strength")).to_have_value(number(0.8))
    expect(accordion.status).to_contain_text(fast_variant.file.save_as)

    _prepare_prompt(page, seed=99)
    used = infotext_params(generate(page))
    assert used.get("Accelerator") == "my-browser-recipe" and used.get("Steps") == str(steps), used

    accordion.part("recipe_new_name").locator("textarea, input").first.fill(RECIPE + " renamed")
    accordion.part("recipe_rename").click()
    expect(accordion.part("recipe_status")).to_contain_text(f"Renamed to {RECIPE} renamed", timeout=EVENT_TIMEOUT_MS)
    expect(listed.input).to_have_value(RECIPE + " renamed")

    accordion.part("recipe_export").click()
    expect(accordion.part("recipe_file_out")).to_contain_text("my_browser_recipe", timeout=EVENT_TIMEOUT_MS)
    exported = saved.read_bytes()

    page.once("dialog", lambda dialog: dialog.accept())
    accordion.part("recipe_delete").click()
    expect(accordion.part("recipe_status")).to_contain_text("Deleted", timeout=EVENT_TIMEOUT_MS)
    assert not saved.exists()
    expect(accordion.variant.input).to_have_value(shows(fast_variant.id, fast_variant.label), timeout=EVENT_TIMEOUT_MS)

    accordion.part("recipe_import").locator("input[type=file]").set_input_files(
        files=[{"name": "shared recipe.json", "mimeType": "application/json", "buffer": exported}]
    )
    expect(accordion.part("recipe_status")).to_contain_text("Imported", timeout=EVENT_TIMEOUT_MS)
    assert json.loads(saved.read_text(encoding="utf-8"))["name"] == RECIPE + " renamed"


def _serve_localized(page: Page, table: dict[str, str]) -> None:
    """Load the page as A1111 serves it after "Reload UI" with a localization chosen: `window.localization`
    holds the merged table. A1111 writes that into the <head> once per UI build
    (`ui_gradio_extensions.reload_javascript`), and Reload UI did not come back on this 2-core harness
    (seen: the server stayed silent after "Restarting UI..."), so the table is set before the page's own
    scripts run; everything after (localization.js translating labels, buttons, tooltips, new nodes) is
    the WebUI's own code."""
    page.add_init_script(
        script="(table => Object.defineProperty(window, 'localization', "
        "{get: () => table, set: () => {}, configurable: true}))(" + json.dumps(table) + ")"
    )


def test_japanese_labels_and_messages(page: Page, catalog: Any, docs_dir: Path) -> None:
    if not PAGE.reads_localizations:
        pytest.skip("this WebUI reads no extension localizations (SD.Next: modules/localization.py lists none)")
    choices = page.evaluate(
        "() => window.gradio_config.components.find(c => c.props.elem_id === 'setting_localization').props.choices"
    )
    assert "ja_JP" in [c[0] if isinstance(c, list) else c for c in choices], choices  # A1111 found our file
    japanese = json.loads((Path(__file__).resolve().parents[2] / "localizations" / "ja_JP.json").read_text("utf-8"))
    before = _api("/sdapi/v1/options").get("localization", "None")
    _api("/sdapi/v1/options", {"localization": "ja_JP"})  # what the Settings choice stores
    try:
        _serve_localized(page, japanese)
        _reload(page)
        accordion = Accordion(page, "txt2img")
        accordion.open()
        expect(accordion.part("recipe_status")).to_contain_text("レシピ", timeout=EVENT_TIMEOUT_MS)
        for text in ("高速化ステップ数", "高速化サンプラー", "本番を生成", "もう一度下書き", "マイレシピ"):
            expect(accordion.root).to_contain_text(text, timeout=EVENT_TIMEOUT_MS)
        assert "Accelerated steps" not in accordion.root.inner_text()
        assert (accordion.part("final").get_attribute("title") or "").startswith("選んだ画像")
        # Text composed in Python (guidance, licence) follows the language setting.
        lcm = catalog.method("lcm")
        _choose_method(accordion, lcm)
        expect(accordion.status).to_contain_text(lcm.summary["ja"], timeout=EVENT_TIMEOUT_MS)
        expect(accordion.status).to_contain_text("ライセンス")
        # Our keys are specific: the WebUI's own controls keep their (untranslated) labels.
        expect(page.locator("#txt2img_steps")).to_contain_text("Sampling steps")
        expect(page.locator("#txt2img_generate")).to_have_text("Generate")
        page.mouse.move(0, 0)
        _screenshot(page, docs_dir / _doc_name("panel-ja"), accordion.root)
    finally:
        _api("/sdapi/v1/options", {"localization": before})


def test_img2img_has_the_same_panel(page: Page) -> None:
    """Render final / Draft again and My recipes exist in img2img too, as real, labelled buttons."""
    from tests.browser.webui import switch_tab

    switch_tab(page, "img2img")
    accordion = Accordion(page, "img2img")
    accordion.open()
    for item in ("final", "draft"):
        button = accordion.part(item)
        expect(button).to_be_visible()
        assert button.evaluate("e => e.tagName") == "BUTTON" and button.get_attribute("title")
    assert page.evaluate("() => accelerator.selectedSeed('img2img')") is None  # nothing generated in img2img yet
    expect(accordion.status).to_contain_text("img2img:", timeout=EVENT_TIMEOUT_MS)  # the denoising note
    _open_recipes(page, accordion)
