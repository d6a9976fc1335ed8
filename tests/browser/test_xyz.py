"""The X/Y/Z plot script lists Accelerator's axes, the Method axis offers the methods to fill in, and a grid
over that axis renders one cell accelerated and one not."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.browser.webui import EVENT_TIMEOUT_MS, PAGE, Dropdown, generate, infotext_params, set_number

AXES = (
    "[Accelerator] Method",
    "[Accelerator] Strength",
    "[Accelerator] Steps",
    "[Accelerator] CFG",
    "[Accelerator] Shift",
)


def test_xyz_plot_lists_the_accelerator_axes(page: Any, e2e_variant: Any) -> None:
    # "X/Y/Z plot" in A1111, "X/Y/Z Plot" in Forge Classic, "XYZ Grid Script" in SD.Next
    Dropdown(page.locator(PAGE.script_list)).choose(lambda text: text.lower() == PAGE.xyz_title)
    x_type = Dropdown(page.locator(f"#{PAGE.xyz_prefix}_x_type"))
    expect(x_type.block).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    for axis in ("x_type", "y_type", "z_type"):
        listed = Dropdown(page.locator(f"#{PAGE.xyz_prefix}_{axis}")).options()
        missing = [label for label in AXES if label not in listed]
        assert not missing, f"{axis} lacks {missing}; it lists {listed}"
        assert sum(label.startswith("[Accelerator]") for label in listed) == len(AXES), listed

    # The Method axis has choices: its fill button writes them (off, method ids, variant ids) into X values.
    page.locator(f"#{PAGE.xyz_prefix}_csv_mode input").check()  # values as text, not a multiselect
    x_type.choose(lambda text: text == "[Accelerator] Method")
    fill = page.locator(PAGE.xyz_fill_x)
    expect(fill).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    fill.click()
    values = page.locator(f"#{PAGE.xyz_prefix}_x_values textarea")
    expect(values).not_to_have_value("", timeout=EVENT_TIMEOUT_MS)
    filled = [v.strip() for v in values.input_value().split(",")]
    assert filled[0] == "off", filled
    assert e2e_variant.method_id in filled, filled
    assert e2e_variant.id in filled, filled

    # Used: a grid over "off" and the e2e variant, each cell's image kept, renders one cell of each.
    values.fill(f"off, {e2e_variant.id}")
    page.locator(f"#{PAGE.xyz_prefix}_include_lone_images input").check()
    page.locator("#txt2img_prompt textarea").fill("a blue sphere")
    for elem_id, value in (("txt2img_width", 64), ("txt2img_height", 64), ("txt2img_seed", 77), ("txt2img_steps", 3)):
        set_number(page, elem_id, value)
    generate(page)
    info = json.loads(page.locator("#generation_info_txt2img textarea").input_value())
    cells = [infotext_params(text) for text in info["infotexts"][info.get("index_of_first_image", 0) :]]
    accelerated = [c for c in cells if c.get("Accelerator") == e2e_variant.id]
    plain = [c for c in cells if "Accelerator" not in c]
    assert len(accelerated) == 1 and len(plain) == 1, info["infotexts"]
    assert accelerated[0].get("Steps") == str(e2e_variant.steps), accelerated
    assert plain[0].get("Steps") == "3", plain
