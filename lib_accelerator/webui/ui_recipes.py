""" "My recipes" inside the accordion: save the panel's values as a recipe, apply, rename, delete, export and
import recipes. The refresh button also runs on every page load (`javascript/accelerator.js`): gradio serves
the page config of server start, so the lists, the status line and the proposal are fetched anew."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from modules.ui_components import FormRow, ToolButton

from lib_accelerator import panel
from lib_accelerator.presets import recipes
from lib_accelerator.presets.catalog import PresetError
from lib_accelerator.presets.lora_file import local_lora_file
from lib_accelerator.webui import services, settings
from lib_accelerator.webui.ui_state import (
    checkpoint_hash,
    current_family,
    current_model,
    method_update,
    preset_values,
    shift_update,
    shown,
    variant_choices,
)
from lib_accelerator.webui.ui_text import note, status_html, t

METHOD_FILE = "The variant's own file"


def recipe_folder() -> Path:
    return settings.user_presets_dir()


def proposed() -> recipes.Recipe | None:
    """The user's recipe tied to the loaded (or about to be loaded) checkpoint, if it is in the catalogue."""
    found, _ = recipes.load_all(recipe_folder())
    recipe = recipes.for_checkpoint(found, checkpoint_hash(), current_family())
    return recipe if recipe and services.catalog().variant(recipe.variant.id) else None


def _recipe_choices() -> list[str]:
    """Recipes are listed by name (names are unique: saving or renaming refuses a name in use)."""
    found, _ = recipes.load_all(recipe_folder())
    return [r.name for r in found]


def _recipe_id(shown_name: Any) -> str:
    found, _ = recipes.load_all(recipe_folder())
    return next((r.id for r in found if shown_name in (r.name, r.id)), "")


def _file_choices() -> list[str]:
    return [METHOD_FILE, *recipes.local_loras(services.download_options().lora_dir)]


def _taken(folder: Path) -> set[str]:
    """Ids of every preset that is not one of the user's recipes."""
    found, _ = recipes.load_all(folder)
    mine = {r.id for r in found} | {r.variant.id for r in found}
    loaded = services.catalog()
    return ({m.id for m in loaded.methods} | {v.id for v in loaded.all_variants()}) - mine


def _number_or_none(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def build_panel(elem_id: Callable[[str], str], proposal: recipes.Recipe | None) -> dict[str, Any]:
    """The "My recipes" accordion; its components by name."""
    with gr.Accordion(
        label="My recipes", open=False, elem_id=elem_id("accelerator_recipes"), elem_classes=["accelerator-recipes"]
    ):
        with FormRow(elem_classes=["accelerator-row"]):
            name = gr.Textbox(label="Recipe name", max_lines=1, elem_id=elem_id("accelerator_recipe_name"))
            lora = gr.Dropdown(
                label="Recipe LoRA file",
                choices=_file_choices(),
                value=METHOD_FILE,
                elem_id=elem_id("accelerator_recipe_file"),
            )
        with FormRow(elem_classes=["accelerator-row"]):
            tie = gr.Checkbox(
                label="Propose this recipe when this checkpoint is loaded",
                value=False,
                elem_id=elem_id("accelerator_recipe_tie"),
            )
            save = gr.Button(value="Save as my preset", elem_id=elem_id("accelerator_recipe_save"))
        return {"name": name, "lora": lora, "tie": tie, "save": save, **_manage_rows(elem_id, proposal)}


def _manage_rows(elem_id: Callable[[str], str], proposal: recipes.Recipe | None) -> dict[str, Any]:
    with FormRow(elem_classes=["accelerator-row"]):
        chosen = gr.Dropdown(
            label="Saved recipe",
            choices=_recipe_choices(),
            value=proposal.name if proposal else None,
            elem_id=elem_id("accelerator_recipe_list"),
        )
        refresh = ToolButton(
            value="\U0001f504", elem_id=elem_id("accelerator_recipe_refresh"), tooltip="Reload my recipes"
        )
        apply = gr.Button(value="Apply recipe", elem_id=elem_id("accelerator_recipe_apply"))
        export = gr.Button(value="Export recipe", elem_id=elem_id("accelerator_recipe_export"))
    with FormRow(elem_classes=["accelerator-row"]):
        new_name = gr.Textbox(label="New recipe name", max_lines=1, elem_id=elem_id("accelerator_recipe_new_name"))
        rename = gr.Button(value="Rename recipe", elem_id=elem_id("accelerator_recipe_rename"))
        delete = gr.Button(value="Delete recipe", elem_id=elem_id("accelerator_recipe_delete"), variant="stop")
    with FormRow(elem_classes=["accelerator-row", "accelerator-files"]):
        exported = gr.File(label="Exported recipe", interactive=False, elem_id=elem_id("accelerator_recipe_file_out"))
        incoming = gr.File(
            label="Import a recipe file", file_types=[".json"], elem_id=elem_id("accelerator_recipe_import")
        )
    message = gr.HTML(value="", elem_id=elem_id("accelerator_recipe_status"))
    return {
        "chosen": chosen, "refresh": refresh, "apply": apply, "export": export, "new_name": new_name,
        "rename": rename, "delete": delete, "exported": exported, "incoming": incoming, "message": message,
    }  # fmt: skip


class _Handlers:
    """The panel's event handlers; `shown_count` is the length of [method, variant, *values, status]."""

    def __init__(self, is_img2img: bool, shown_count: int) -> None:
        self.is_img2img = is_img2img
        self.unchanged = [gr.update()] * shown_count

    def show(self, variant_id: str, method_value: str) -> list[Any]:
        """Method, variant, the variant's preset values and its status line."""
        chosen = services.catalog().variant(variant_id)
        method_id = chosen.method_id if chosen else method_value
        return [
            method_update(method_value),
            gr.update(choices=variant_choices(services.catalog(), method_id), value=variant_id),
            *preset_values(chosen),
            status_html(services.catalog(), variant_id, shown(chosen), self.is_img2img),
        ]

    def save(self, *args: Any) -> list[Any]:
        _method_id, variant_id, strength, steps, cfg, sampler, schedule, shift, name, lora, tie = args
        base = services.catalog().variant(str(variant_id))
        base_method = services.catalog().method(base.method_id) if base else None
        if base is None or base_method is None:
            return [gr.update(), gr.update(), gr.update(), note(t("unknown", id=variant_id), True)]
        checkpoint = checkpoint_hash() if tie else ""
        file = local_lora_file(str(lora)) if lora and lora != METHOD_FILE else None
        edits = recipes.Edits(
            float(strength), int(steps), float(cfg), str(sampler or ""), str(schedule or ""), _number_or_none(shift)
        )
        try:
            data = recipes.recipe_data(str(name), base_method, base, edits, checkpoint=checkpoint, file=file)
            recipe = recipes.save(recipe_folder(), data, _taken(recipe_folder()))
        except (recipes.RecipeError, PresetError, OSError) as error:
            return [gr.update(), gr.update(), gr.update(), note(str(error), True)]
        services.reload_catalog()
        text = t("saved", name=recipe.name, path=recipe.path)
        if tie:
            text += t("tied") if checkpoint else t("no_hash")
        # The sliders already hold the recipe's values: only the method and variant follow.
        return [
            method_update(recipe.id),
            gr.update(choices=variant_choices(services.catalog(), recipe.id), value=recipe.variant.id),
            gr.update(choices=_recipe_choices(), value=recipe.name),
            note(text),
        ]

    def apply(self, shown_name: str) -> list[Any]:
        services.reload_catalog()
        try:
            recipe = recipes.find(recipe_folder(), _recipe_id(shown_name))
        except recipes.RecipeError:
            return [*self.unchanged, note(t("choose"), True)]
        return [*self.show(recipe.variant.id, recipe.id), note(t("applied", name=recipe.name))]

    def refresh(self, current: str, variant_id: str, *values: Any) -> list[Any]:
        """Run on every page load too: gradio serves the page config of server start, so lists, the status
        line (download state, language) and the proposal for the loaded checkpoint are fetched anew, and an
        empty shift box gets the shown variant's shift (`values`: strength, steps, CFG, shift)."""
        services.reload_catalog()
        folder = recipe_folder()
        found, errors = recipes.load_all(folder)
        proposal = recipes.for_checkpoint(found, checkpoint_hash(), current_family())
        notes = [note(t("count", count=len(found), path=folder))]
        value = current if current in {r.name for r in found} else None
        if proposal is not None and value in (None, proposal.name):
            value = proposal.name
            notes.append(note(t("proposed", name=proposal.name)))
        notes += [note(t("broken", error=error), True) for error in errors]
        return [
            method_update(),
            gr.update(choices=[r.name for r in found], value=value),
            gr.update(choices=_file_choices()),
            status_html(services.catalog(), str(variant_id or ""), (values[0], values[1], values[2]), self.is_img2img),
            "".join(notes),
            # a shift the user typed stays; shown or hidden anew (the host's shift depends on the loaded model)
            shift_update(services.catalog().variant(str(variant_id or "")), _number_or_none(values[3])),
        ]

    def rename(self, shown_name: str, new_name: str) -> list[Any]:
        try:
            recipe = recipes.rename(recipe_folder(), _recipe_id(shown_name), str(new_name or ""))
        except (recipes.RecipeError, PresetError, OSError) as error:
            return [gr.update(), gr.update(), note(str(error), True)]
        services.reload_catalog()
        listed = gr.update(choices=_recipe_choices(), value=recipe.name)
        return [method_update(), listed, note(t("renamed", name=recipe.name))]

    def delete(self, shown_name: str, method_id: str, variant_id: str) -> list[Any]:
        if not shown_name:  # nothing chosen, or the confirmation was declined
            return [*self.unchanged, gr.update(), gr.update()]
        try:
            recipe = recipes.delete(recipe_folder(), _recipe_id(shown_name))
        except (recipes.RecipeError, OSError) as error:
            return [*self.unchanged, gr.update(), note(str(error), True)]
        services.reload_catalog()
        listed = gr.update(choices=_recipe_choices(), value=None)
        done = note(t("deleted", name=recipe.name))
        if method_id != recipe.id:
            return [method_update(), *self.unchanged[1:], listed, done]
        # The panel showed the deleted recipe: go back to the variant it was made from.
        loaded = services.catalog()
        base = loaded.variant(recipe.based_on) or panel.default_variant_for(
            loaded, panel.DEFAULT_METHOD, current_model()
        )
        return [*(self.show(base.id, base.method_id) if base else self.unchanged), listed, done]

    def export(self, shown_name: str) -> list[Any]:
        try:
            recipe = recipes.find(recipe_folder(), _recipe_id(shown_name))
        except recipes.RecipeError:
            return [None, note(t("choose"), True)]
        return [str(recipe.path), note(t("exported", name=recipe.name))]

    def import_upload(self, upload: Any) -> list[Any]:
        if upload is None:
            return [gr.update(), gr.update(), gr.update()]
        source = Path(str(getattr(upload, "name", upload)))  # gradio 3: a tempfile wrapper; gradio 4: a path
        try:
            recipe = recipes.import_file(recipe_folder(), source, _taken(recipe_folder()))
        except (recipes.RecipeError, PresetError, OSError) as error:
            return [gr.update(), gr.update(), note(str(error), True)]
        services.reload_catalog()
        listed = gr.update(choices=_recipe_choices(), value=recipe.name)
        return [method_update(), listed, note(t("imported", name=recipe.name))]


def wire_panel(p: dict[str, Any], method: Any, variant: Any, values: list[Any], status: Any, is_img2img: bool) -> None:
    """Connect the panel's buttons; `values` are strength, steps, CFG, sampler, schedule and shift."""
    shown_outputs = [method, variant, *values, status]
    handle = _Handlers(is_img2img, len(shown_outputs))
    chosen, message = p["chosen"], p["message"]
    inputs = [method, variant, *values, p["name"], p["lora"], p["tie"]]
    p["save"].click(fn=handle.save, inputs=inputs, outputs=[method, variant, chosen, message])
    p["apply"].click(fn=handle.apply, inputs=[chosen], outputs=[*shown_outputs, message], show_progress=False)
    p["refresh"].click(
        fn=handle.refresh,
        inputs=[chosen, variant, *values[:3], values[5]],
        outputs=[method, chosen, p["lora"], status, message, values[5]],
        show_progress=False,
    )
    p["rename"].click(fn=handle.rename, inputs=[chosen, p["new_name"]], outputs=[method, chosen, message])
    p["delete"].click(
        fn=handle.delete,
        inputs=[chosen, method, variant],
        outputs=[*shown_outputs, chosen, message],
        _js="(id, method, variant) => accelerator.confirmDelete(id, method, variant)",
    )
    p["export"].click(fn=handle.export, inputs=[chosen], outputs=[p["exported"], message])
    p["incoming"].upload(fn=handle.import_upload, inputs=[p["incoming"]], outputs=[method, chosen, message])
