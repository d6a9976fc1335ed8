"""The Accelerator accordion: its controls and their events. Text and the status line are in `ui_text`, the
dropdowns' choices in `ui_state`, "My recipes" in `ui_recipes`, the paste-back table in `ui_paste`.

Values change on user *selection* events (`.select`), not on `.change`: pasting infotext sets method,
variant and the sliders in one go, and a `.change` handler that loaded the preset would overwrite the pasted
values. The two `.change` handlers keep that invariant. The status line (guidance and range warnings)
follows every edit. The variant box's own handler acts only when its variant belongs to another method
than the one shown (an id typed into the box, which fires no `.select`; the runtime would drop it for the
shown method's default): then the method, the variant list and the values follow that variant. A paste,
a method choice or an applied recipe leaves method and variant agreeing, and there it returns no-op updates.

"Render final" / "Draft again" run in the browser (`javascript/accelerator.js`): they read the selected
image's seed from the WebUI's generation info, switch the accordion and press Generate. The page also
presses the hidden status button after each generation, because a generation may have downloaded the
variant's file that the status line still calls missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from modules.ui_components import FormRow, InputAccordion, ToolButton

from lib_accelerator import panel
from lib_accelerator.download.errors import DownloadError
from lib_accelerator.families import LoadedModel
from lib_accelerator.presets.catalog import Catalog, Variant
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.request import CFG_LIMITS, PRESET_LABEL, SHIFT_LIMITS, STEPS_LIMITS, STRENGTH_LIMITS
from lib_accelerator.webui import compare_ui, hosts, services, ui_recipes
from lib_accelerator.webui.ui_paste import api_paste_fields, paste_fields
from lib_accelerator.webui.ui_state import (
    VALUE_COUNT,
    current_model,
    method_choices,
    method_update,
    preset_values,
    shift_shown,
    shown,
    variant_choices,
    variant_update,
)
from lib_accelerator.webui.ui_text import note, status_html, t

DEFAULT_METHOD = panel.DEFAULT_METHOD


def _start(loaded: Catalog, model: LoadedModel) -> tuple[str, Variant | None]:
    """Method and variant the panel opens with: the user's recipe for this checkpoint, else the settings-only
    recipe of a checkpoint that is distilled itself (Z-Image-Turbo, FLUX.2 Klein), else the default method's
    variant for what is loaded."""
    recipe = ui_recipes.proposed()
    if recipe is not None:
        return recipe.id, recipe.variant
    distilled = panel.proposed_recipe(loaded, model)
    if distilled is not None:
        return distilled.method_id, distilled
    return DEFAULT_METHOD, panel.default_variant_for(loaded, DEFAULT_METHOD, model)


def build(elem_id: Callable[[str], str], is_img2img: bool) -> tuple[list[Any], list[Any]]:
    """Create the accordion; return (components in request.ARGUMENT_ORDER, infotext paste fields)."""
    loaded = services.catalog()
    model = current_model()
    method_id, start = _start(loaded, model)
    with InputAccordion(False, label="Accelerator", elem_id=elem_id("accelerator")) as enabled:
        with FormRow(elem_classes=["accelerator-row"]):
            method = gr.Dropdown(
                label="Acceleration method",
                choices=method_choices(loaded),
                value=method_id,
                elem_id=elem_id("accelerator_method"),
            )
            variant = gr.Dropdown(
                label="Acceleration variant",
                choices=variant_choices(loaded, method_id, model),
                value=start.id if start else None,
                allow_custom_value=True,
                elem_id=elem_id("accelerator_variant"),
            )
            reset = ToolButton(value="\u21bb", elem_id=elem_id("accelerator_reset"), tooltip="Reset to the preset")
        values = _value_controls(elem_id, start)
        status = gr.HTML(
            value=status_html(loaded, start.id, is_img2img=is_img2img) if start else "",
            elem_id=elem_id("accelerator_status"),
        )
        # Pressed by accelerator.js when a generation ends: the status line is read anew (download state).
        # Never shown, so never translated; its own value keeps A1111's ui-config key `<tab>/<value>` unique
        # (the default value "Run" may be another extension's hidden button too).
        status_refresh = gr.Button(
            visible=False, value="Accelerator status refresh", elem_id=elem_id("accelerator_status_refresh")
        )
        download_button = _action_buttons(elem_id, is_img2img, status)
        paste_holder = gr.State()  # see ui_paste.api_paste_fields
        recipe_panel = ui_recipes.build_panel(elem_id, ui_recipes.proposed())

    controls = [enabled, method, variant, *values]
    _wire_events(_Handlers(is_img2img), method, variant, reset, values, status, status_refresh, download_button)
    ui_recipes.wire_panel(recipe_panel, method, variant, values, status, is_img2img)
    return controls, [*paste_fields(controls), *api_paste_fields(paste_holder)]


def _value_controls(elem_id: Callable[[str], str], start: Variant | None) -> list[Any]:
    """Strength, steps, CFG, sampler, schedule and shift, prefilled from the starting variant's preset."""
    caps = hosts.current().capabilities()
    with FormRow(elem_classes=["accelerator-row"]):
        strength = gr.Slider(
            label="Acceleration LoRA strength",
            minimum=STRENGTH_LIMITS[0],
            maximum=STRENGTH_LIMITS[1],
            step=0.05,
            value=start.strength if start else 1.0,
            elem_id=elem_id("accelerator_strength"),
        )
        steps = gr.Slider(
            label="Accelerated steps",
            minimum=STEPS_LIMITS[0],
            maximum=50,
            step=1,
            value=start.steps if start else 4,
            elem_id=elem_id("accelerator_steps"),
        )
        cfg = gr.Slider(
            label="Accelerated CFG",
            minimum=CFG_LIMITS[0],
            maximum=15.0,
            step=0.5,
            value=start.cfg if start else 1.0,
            elem_id=elem_id("accelerator_cfg"),
        )
    with FormRow(elem_classes=["accelerator-row"]):
        sampler = gr.Dropdown(
            label="Accelerated sampler",
            choices=[PRESET_LABEL, *sorted(caps.samplers)],
            value=PRESET_LABEL,
            elem_id=elem_id("accelerator_sampler"),
        )
        schedule = gr.Dropdown(
            label="Accelerated schedule type",
            choices=[PRESET_LABEL, *sorted(caps.schedulers or ())],
            value=PRESET_LABEL,
            elem_id=elem_id("accelerator_schedule"),
        )
        # A number box, not a slider: it holds "no shift" (None) for the variants without one. It starts empty
        # even for a variant with a shift, and the page fills it on load (ui_recipes' refresh): its start value
        # is every API call's default shift, which must be "the variant's own", and with an empty start value the
        # WebUI's API never turns the paste field's gr.update into a number (it cannot on gradio 4). Last of the
        # controls: older positional API calls keep their meaning.
        shift = gr.Number(
            label="Accelerated shift",
            value=None,
            minimum=SHIFT_LIMITS[0],
            maximum=SHIFT_LIMITS[1],
            step=0.1,
            visible=shift_shown(start),
            elem_id=elem_id("accelerator_shift"),
        )
        # Value and visibility follow the loaded model, so ui-config.json must not pin them: a saved 9 (Z-Image)
        # would be every API call's default shift, a saved "visible" would show a box that does nothing.
        shift.do_not_save_to_config = True
    return [strength, steps, cfg, sampler, schedule, shift]


def _action_buttons(elem_id: Callable[[str], str], is_img2img: bool, status: Any) -> Any:
    """Render final, Draft again, Download now (returned) and, in txt2img, Compare methods."""
    tab = "img2img" if is_img2img else "txt2img"
    with FormRow(elem_classes=["accelerator-row", "accelerator-actions"]):
        final = gr.Button(
            value="Render final",
            elem_id=elem_id("accelerator_final"),
            tooltip="Generate the selected image again at full quality: same seed and prompt, Accelerator off, "
            "your own steps, CFG, sampler and schedule",
        )
        draft = gr.Button(
            value="Draft again",
            elem_id=elem_id("accelerator_draft"),
            tooltip="Generate the selected image's seed again with Accelerator on",
        )
        download_button = gr.Button(value="Download now", elem_id=elem_id("accelerator_download"))
        if not is_img2img:
            compare_button = gr.Button(value="Compare methods", elem_id=elem_id("accelerator_compare"))
            compare_ui.WIRING.offer_button(compare_button, status)
    final.click(fn=None, _js=f"() => accelerator.renderFinal('{tab}')")
    draft.click(fn=None, _js=f"() => accelerator.draftAgain('{tab}')")
    return download_button


class _Handlers:
    """Events of the method and variant boxes, the reset button and the status line."""

    def __init__(self, is_img2img: bool) -> None:
        self.is_img2img = is_img2img

    def method_chosen(self, method_id: str, variant_id: str) -> list[Any]:
        """The method's variant for what is loaded (the shown one if it is the method's) and its values."""
        model = current_model()
        loaded = services.catalog()
        current = loaded.variant(variant_id)
        keep = current if current and current.method_id == method_id else None
        chosen = keep or panel.default_variant_for(loaded, method_id, model)
        return [
            gr.update(choices=variant_choices(loaded, method_id, model), value=chosen.id if chosen else None),
            *preset_values(chosen),
            self.status(chosen.id, *shown(chosen)) if chosen else "",
        ]

    def variant_chosen(self, variant_id: str) -> list[Any]:
        chosen = services.catalog().variant(variant_id)
        return [*preset_values(chosen), self.status(variant_id, *shown(chosen))]

    def variant_changed(self, method_id: str, variant_id: str) -> list[Any]:
        """Method, variant box, values and status for a variant of another method; else no change at all."""
        chosen = panel.variant_to_follow(services.catalog(), method_id, variant_id)
        if chosen is None:
            return [gr.update()] * (3 + VALUE_COUNT)  # method, variant, the values, status
        return [
            method_update(chosen.method_id),
            variant_update(chosen),
            *preset_values(chosen),
            self.status(chosen.id, *shown(chosen)),
        ]

    def status(self, variant_id: str, strength: Any, steps: Any, cfg: Any) -> str:
        return status_html(services.catalog(), variant_id, (strength, steps, cfg), self.is_img2img)


def _wire_events(
    handle: _Handlers,
    method: Any,
    variant: Any,
    reset: Any,
    values: list[Any],
    status: Any,
    status_refresh: Any,
    download_button: Any,
) -> None:
    chosen_outputs = [*values, status]
    method.select(
        fn=handle.method_chosen, inputs=[method, variant], outputs=[variant, *chosen_outputs], show_progress=False
    )
    variant.select(fn=handle.variant_chosen, inputs=[variant], outputs=chosen_outputs, show_progress=False)
    reset.click(fn=handle.variant_chosen, inputs=[variant], outputs=chosen_outputs, show_progress=False)
    # `.change` because a typed value fires no `.select`; `variant_changed` leaves agreeing boxes alone.
    variant.change(
        fn=handle.variant_changed,
        inputs=[method, variant],
        outputs=[method, variant, *chosen_outputs],
        show_progress=False,
        queue=False,
    )
    live = [variant, *values[:3]]
    for component in live:  # status only: guidance and range warnings follow the edits as they happen
        component.change(fn=handle.status, inputs=live, outputs=[status], show_progress=False, queue=False)
    status_refresh.click(fn=handle.status, inputs=live, outputs=[status], show_progress=False, queue=False)
    download_button.click(fn=_download_now, inputs=[variant], outputs=[status])


def _download_now(variant_id: str, progress: Any = gr.Progress()) -> str:  # noqa: B008 - gradio's idiom
    loaded = services.catalog()
    variant = loaded.variant(variant_id)
    if variant is None:
        return note(t("unknown", id=variant_id))
    if variant.recipe_only:
        return note(t("nothing_to_download")) + status_html(loaded, variant_id)
    total = variant.size
    before = {f.save_as: sum(g.size for g in variant.files[:i]) for i, f in enumerate(variant.files)}

    def report(file: LoraFile, number: int, count: int, done: int, _size: int) -> None:
        # One bar over all of the variant's files, and a line that names the file at hand.
        of = f" ({number}/{count})" if count > 1 else ""
        overall = (before[file.save_as] + done) / total if total else 0
        progress(overall, desc=f"Downloading {file.save_as}{of}")

    try:
        services.variant_paths(variant, progress=report)
    except DownloadError as error:
        return note(str(error), warning=True)
    return status_html(loaded, variant_id)
