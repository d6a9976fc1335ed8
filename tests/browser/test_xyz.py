"""The X/Y/Z plot script lists Accelerator's axes, and the Method axis offers the methods to fill in."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.webui import EVENT_TIMEOUT_MS, Dropdown

AXES = (
    "[Accelerator] Method",
    "[Accelerator] Strength",
    "[Accelerator] Steps",
    "[Accelerator] CFG",
    "[Accelerator] Shift",
)


def test_xyz_plot_lists_the_accelerator_axes(page: Any, e2e_variant: Any) -> None:
    # "X/Y/Z plot" in A1111, "X/Y/Z Plot" in Forge Classic
    Dropdown(page.locator("#tab_txt2img #script_list")).choose(lambda text: text.lower() == "x/y/z plot")
    x_type = Dropdown(page.locator("#script_txt2img_xyz_plot_x_type"))
    expect(x_type.block).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    for axis in ("x_type", "y_type", "z_type"):
        listed = Dropdown(page.locator(f"#script_txt2img_xyz_plot_{axis}")).options()
        missing = [label for label in AXES if label not in listed]
        assert not missing, f"{axis} lacks {missing}; it lists {listed}"
        assert sum(label.startswith("[Accelerator]") for label in listed) == len(AXES), listed

    # The Method axis has choices: its fill button writes them (off, method ids, variant ids) into X values.
    page.locator("#script_txt2img_xyz_plot_csv_mode input").check()  # values as text, not a multiselect
    x_type.choose(lambda text: text == "[Accelerator] Method")
    fill = page.locator("#tab_txt2img #xyz_grid_fill_x_tool_button")
    expect(fill).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    fill.click()
    values = page.locator("#script_txt2img_xyz_plot_x_values textarea")
    expect(values).not_to_have_value("", timeout=EVENT_TIMEOUT_MS)
    filled = [v.strip() for v in values.input_value().split(",")]
    assert filled[0] == "off", filled
    assert e2e_variant.method_id in filled, filled
    assert e2e_variant.id in filled, filled
