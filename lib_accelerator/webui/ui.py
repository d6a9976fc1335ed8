"""The Accelerator accordion: controls, their events, the paste-back table, and the user's recipes.

Values change on user *selection* events only (`.select`), never on `.change`: pasting infotext sets
method, variant and the sliders in one go, and a `.change` handler would overwrite the pasted values
with the preset's. Only the status line (guidance and range warnings) follows `.change`.

"Render final" / "Draft again" run in the browser (`javascript/accelerator.js`): they read the selected
image's seed from the WebUI's generation info, switch the accordion and press Generate.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from modules.ui_components import FormRow, InputAccordion, ToolButton

from lib_accelerator import infotext, recipes
from lib_accelerator.catalog import Catalog, PresetError, Variant, local_lora_file
from lib_accelerator.families import family_label
from lib_accelerator.request import CFG_LIMITS, PRESET_LABEL, STEPS_LIMITS, STRENGTH_LIMITS
from lib_accelerator.webui import compare_ui, host, runtime, settings

try:
    from modules.infotext_utils import PasteField
except ImportError:  # A1111 before 1.8 takes plain (component, key) tuples

    def PasteField(component: Any, target: Any) -> tuple[Any, Any]:
        return component, target


DEFAULT_METHOD = "hyper_sd"
METHOD_FILE = "The variant's own file"
# English and Japanese for text composed here (the WebUI's localization JS only translates fixed text).
TEXT: dict[str, tuple[str, str]] = {
    "downloaded": ("downloaded", "ダウンロード済み"),
    "missing": ("not downloaded yet: it is fetched on first use", "未ダウンロード：初回の生成時に取得します"),
    "local": ("your own file in the LoRA folder", "LoRA フォルダにあるあなたのファイル"),
    "local_missing": ("not found in the LoRA folder", "LoRA フォルダに見つかりません"),
    "licence": ("licence", "ライセンス"),
    "source": ("source", "配布元"),
    "img2img": (
        "img2img: exactly {steps} steps run whatever the denoising strength; the denoising strength only "
        "sets how much of the input changes.",
        "img2img：ノイズ除去強度にかかわらずちょうど {steps} ステップ実行します。"
        "強度は入力画像をどれだけ変えるかだけを決めます。",
    ),
    "family": (
        "This variant is for {variant}; the loaded model is {loaded}.",
        "このバリアントは {variant} 用です。読み込まれているモデルは {loaded} です。",
    ),
    "range": (
        "{what} {value:g} is outside {low:g}-{high:g}, the range {variant} was made for.",
        "{what} {value:g} は {variant} の想定範囲 {low:g}〜{high:g} の外です。",
    ),
    "steps": ("Steps", "ステップ数"),
    "strength": ("Strength", "強さ"),
    "cfg": ("CFG", "CFG"),
    "unknown": ("Unknown variant {id}", "不明なバリアント {id}"),
    "saved": ("Saved {name} in {path}.", "{name} を {path} に保存しました。"),
    "tied": (" It is proposed when this checkpoint is loaded.", "このチェックポイントを読み込むと提案されます。"),
    "no_hash": (
        " The loaded checkpoint has no hash yet, so it is not tied to it.",
        "読み込み中のチェックポイントにハッシュがないため、紐づけていません。",
    ),
    "applied": ("Applied {name}.", "{name} を適用しました。"),
    "renamed": ("Renamed to {name}.", "{name} に名前を変更しました。"),
    "deleted": ("Deleted {name}.", "{name} を削除しました。"),
    "exported": ("{name}: download the file below.", "{name}：下のファイルをダウンロードしてください。"),
    "imported": ("Imported {name}.", "{name} を読み込みました。"),
    "choose": ("Choose one of your recipes first.", "先にレシピを選んでください。"),
    "proposed": ("Proposed for the loaded checkpoint: {name}.", "読み込み中のチェックポイント向けの提案：{name}"),
    "count": ("{count} recipe(s) in {path}.", "{path} にレシピが {count} 件あります。"),
    "broken": ("Not loaded: {error}", "読み込めません：{error}"),
}


def _lang() -> str:
    from modules import shared

    return "ja" if str(getattr(shared.opts, "localization", "") or "").startswith("ja") else "en"


def _t(key: str, **values: Any) -> str:
    english, japanese = TEXT[key]
    return (japanese if _lang() == "ja" else english).format(**values)


def _localized(texts: Any) -> str:
    return str(texts.get(_lang()) or texts.get("en", ""))


def _current_family() -> str | None:
    """Family of the loaded model, or None while none is loaded (A1111 loads it after the UI starts)."""
    from modules import sd_models

    model = getattr(sd_models.model_data, "sd_model", None)
    return None if model is None else host.loaded_family()


def _checkpoint_hash() -> str:
    """Short hash of the loaded checkpoint, or of the one selected in Settings while none is loaded yet."""
    from modules import sd_models, shared

    try:
        model = getattr(sd_models.model_data, "sd_model", None)
        info = getattr(model, "sd_checkpoint_info", None)
        if info is None:  # never load a model just to read its hash
            info = sd_models.get_closet_checkpoint_match(str(shared.opts.data.get("sd_model_checkpoint") or ""))
        found = getattr(info, "shorthash", None) or getattr(info, "sha256", None) or getattr(model, "sd_model_hash", "")
    except (AttributeError, KeyError, TypeError, ValueError):
        return ""
    return str(found or "")


# gradio 3.41 turns (label, value) choices into the text "('label', 'value')"; there the ids are shown, and
# the status line names the method and variant.
LABELLED_CHOICES = int(gr.__version__.split(".")[0]) >= 4


def _choices(pairs: list[tuple[str, str]]) -> list[Any]:
    return list(pairs) if LABELLED_CHOICES else [value for _, value in pairs]


def _method_choices(loaded: Catalog) -> list[Any]:
    choices = []
    for method in loaded.methods:
        families = ", ".join(dict.fromkeys(family_label(v.family) for v in method.variants))
        suffix = " (experimental)" if method.experimental else ""
        choices.append((f"{method.name}{suffix} · {families}", method.id))
    return _choices(choices)


def _variant_choices(loaded: Catalog, method_id: str, family: str | None) -> list[Any]:
    method = loaded.method(method_id)
    if method is None:
        return []
    pool = method.variants_for(family) if family and method.variants_for(family) else method.variants
    return _choices([(f"{family_label(v.family)} · {v.label}", v.id) for v in pool])


def _default_variant(loaded: Catalog, method_id: str, family: str | None) -> Variant | None:
    method = loaded.method(method_id)
    if method is None:
        return None
    if family:
        return method.default_variant(family) or method.variants[0]
    # No model loaded yet (A1111 loads it while the UI is built): a default of the first family listed.
    return next((v for v in method.variants if v.default), method.variants[0])


def _file_line(variant: Variant) -> str:
    file = variant.file
    if file.is_local:
        present = (runtime.download_options().lora_dir / file.local).is_file()
        return f"<b>{html.escape(file.local)}</b> · {_t('local') if present else _t('local_missing')}"
    options = runtime.download_options()
    target = options.lora_dir / str(options.subfolder) / file.save_as
    state = _t("downloaded") if target.is_file() else _t("missing")
    size = f"{file.size / 1e6:.0f} MB" if file.size >= 1e7 else f"{file.size / 1e6:.2g} MB"
    return f"<b>{html.escape(file.save_as)}</b> · {size} · {state}"


def _warnings(variant: Variant, values: tuple[Any, Any, Any]) -> list[str]:
    out = []
    family = _current_family()
    if family and variant.family != family:
        out.append(_t("family", variant=family_label(variant.family), loaded=family_label(family)))
    ranges = (("strength", variant.strength_range), ("steps", variant.steps_range), ("cfg", variant.cfg_range))
    for (what, (low, high)), value in zip(ranges, values, strict=True):
        if isinstance(value, (int, float)) and not low - 1e-9 <= value <= high + 1e-9:
            out.append(_t("range", what=_t(what), value=value, low=low, high=high, variant=variant.id))
    return out


def status_html(
    loaded: Catalog, variant_id: str, values: tuple[Any, Any, Any] = (None, None, None), is_img2img: bool = False
) -> str:
    """File and download state, what the method is good at and what to avoid, licence and source, warnings."""
    variant = loaded.variant(variant_id)
    if variant is None:
        return ""
    method = loaded.method(variant.method_id)
    guide = [_localized(method.summary) if method else "", _localized(variant.notes)]
    if is_img2img:
        guide.append(_t("img2img", steps=values[1] if isinstance(values[1], (int, float)) else variant.steps))
    links = []
    if method is not None and method.license:
        target = html.escape(method.license_url or method.homepage)
        links.append(
            f'{_t("licence")}: <a href="{target}" target="_blank" rel="noopener">{html.escape(method.license)}</a>'
        )
    if method is not None and method.homepage:
        links.append(f'<a href="{html.escape(method.homepage)}" target="_blank" rel="noopener">{_t("source")}</a>')
    title = f"{method.name} · {family_label(variant.family)} · {variant.label}" if method else variant.label
    parts = [
        f"<div class='accelerator-title'><b>{html.escape(title)}</b> ({html.escape(variant.id)})</div>",
        f"<div class='accelerator-file'>{_file_line(variant)}</div>",
        f"<div class='accelerator-guide'>{html.escape(' '.join(g for g in guide if g))}</div>",
        f"<div class='accelerator-links'>{' · '.join(links)}</div>",
        *(f"<div class='accelerator-warning'>{html.escape(w)}</div>" for w in _warnings(variant, values)),
    ]
    return f"<div class='accelerator-status'>{''.join(parts)}</div>"


def _preset_values(variant: Variant | None) -> list[Any]:
    if variant is None:
        return [gr.update()] * 5
    return [variant.strength, variant.steps, variant.cfg, PRESET_LABEL, PRESET_LABEL]


def _recipe_folder() -> Path:
    return settings.user_presets_dir()


def _proposed() -> recipes.Recipe | None:
    """The user's recipe tied to the loaded (or about to be loaded) checkpoint, if it is in the catalogue."""
    found, _ = recipes.load_all(_recipe_folder())
    recipe = recipes.for_checkpoint(found, _checkpoint_hash(), _current_family())
    return recipe if recipe and runtime.catalog().variant(recipe.variant.id) else None


def build(elem_id: Callable[[str], str], is_img2img: bool) -> tuple[list[Any], list[Any]]:
    """Create the accordion; return (components in request.FIELD_ORDER, infotext paste fields)."""
    loaded = runtime.catalog()
    family = _current_family()
    proposed = _proposed()
    method_id = proposed.id if proposed else DEFAULT_METHOD
    start = proposed.variant if proposed else _default_variant(loaded, DEFAULT_METHOD, family)
    caps = host.capabilities()
    with InputAccordion(False, label="Accelerator", elem_id=elem_id("accelerator")) as enabled:
        with FormRow(elem_classes=["accelerator-row"]):
            method = gr.Dropdown(
                label="Acceleration method",
                choices=_method_choices(loaded),
                value=method_id,
                elem_id=elem_id("accelerator_method"),
            )
            variant = gr.Dropdown(
                label="Acceleration variant",
                choices=_variant_choices(loaded, method_id, family),
                value=start.id if start else None,
                allow_custom_value=True,
                elem_id=elem_id("accelerator_variant"),
            )
            reset = ToolButton(value="\u21bb", elem_id=elem_id("accelerator_reset"), tooltip="Reset to the preset")
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
        status = gr.HTML(
            value=status_html(loaded, start.id, is_img2img=is_img2img) if start else "",
            elem_id=elem_id("accelerator_status"),
        )
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
        panel = _recipe_panel(elem_id, proposed)

    values = [strength, steps, cfg, sampler, schedule]
    controls = [enabled, method, variant, *values]
    _wire_events(method, variant, reset, values, status, download_button, is_img2img)
    _wire_recipes(panel, method, variant, values, status, is_img2img)
    return controls, _paste_fields(controls)


def _wire_events(
    method: Any, variant: Any, reset: Any, values: list[Any], status: Any, button: Any, is_img2img: bool
) -> None:
    def on_method(method_id: str, variant_id: str) -> list[Any]:
        family = _current_family()
        current = runtime.catalog().variant(variant_id)
        keep = current if current and current.method_id == method_id else None
        chosen = keep or _default_variant(runtime.catalog(), method_id, family)
        choices = _variant_choices(runtime.catalog(), method_id, family)
        return [
            gr.update(choices=choices, value=chosen.id if chosen else None),
            *_preset_values(chosen),
            _status(chosen.id, *_shown(chosen)) if chosen else "",
        ]

    def on_variant(variant_id: str) -> list[Any]:
        chosen = runtime.catalog().variant(variant_id)
        return [*_preset_values(chosen), _status(variant_id, *_shown(chosen))]

    def _status(variant_id: str, strength: Any, steps: Any, cfg: Any) -> str:
        return status_html(runtime.catalog(), variant_id, (strength, steps, cfg), is_img2img)

    method.select(fn=on_method, inputs=[method, variant], outputs=[variant, *values, status], show_progress=False)
    variant.select(fn=on_variant, inputs=[variant], outputs=[*values, status], show_progress=False)
    reset.click(fn=on_variant, inputs=[variant], outputs=[*values, status], show_progress=False)
    live = [variant, *values[:3]]
    for component in live:  # status only: guidance and range warnings follow the edits as they happen
        component.change(fn=_status, inputs=live, outputs=[status], show_progress=False, queue=False)
    button.click(fn=_download_now, inputs=[variant], outputs=[status])


def _shown(variant: Variant | None) -> tuple[Any, Any, Any]:
    return (variant.strength, variant.steps, variant.cfg) if variant else (None, None, None)


def _download_now(variant_id: str, progress: Any = gr.Progress()) -> str:  # noqa: B008 - gradio's idiom
    loaded = runtime.catalog()
    variant = loaded.variant(variant_id)
    if variant is None:
        return f"<div class='accelerator-status'>{html.escape(_t('unknown', id=variant_id))}</div>"

    def report(done: int, total: int) -> None:
        progress(done / total if total else 0, desc=f"Downloading {variant.file.save_as}")

    try:
        runtime.lora_path(variant.file, variant.id, progress=report)
    except runtime.download.DownloadError as error:
        return f"<div class='accelerator-status accelerator-warning'>{html.escape(str(error))}</div>"
    return status_html(loaded, variant_id)


def _recipe_choices() -> list[str]:
    """Recipes are listed by name (names are unique: saving or renaming refuses a name in use)."""
    found, _ = recipes.load_all(_recipe_folder())
    return [r.name for r in found]


def _recipe_id(shown: Any) -> str:
    found, _ = recipes.load_all(_recipe_folder())
    return next((r.id for r in found if shown in (r.name, r.id)), "")


def _file_choices() -> list[str]:
    return [METHOD_FILE, *recipes.local_loras(runtime.download_options().lora_dir)]


def _recipe_panel(elem_id: Callable[[str], str], proposed: recipes.Recipe | None) -> dict[str, Any]:
    """ "My recipes": save the panel's values, apply, rename, delete, export and import."""
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
        with FormRow(elem_classes=["accelerator-row"]):
            chosen = gr.Dropdown(
                label="Saved recipe",
                choices=_recipe_choices(),
                value=proposed.name if proposed else None,
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
            exported = gr.File(
                label="Exported recipe", interactive=False, elem_id=elem_id("accelerator_recipe_file_out")
            )
            incoming = gr.File(
                label="Import a recipe file", file_types=[".json"], elem_id=elem_id("accelerator_recipe_import")
            )
        message = gr.HTML(value="", elem_id=elem_id("accelerator_recipe_status"))
    return {
        "name": name, "lora": lora, "tie": tie, "save": save, "chosen": chosen, "refresh": refresh, "apply": apply,
        "new_name": new_name, "rename": rename, "delete": delete, "export": export, "exported": exported,
        "incoming": incoming, "message": message,
    }  # fmt: skip


def _note(text: str, warning: bool = False) -> str:
    kind = "accelerator-status accelerator-warning" if warning else "accelerator-status"
    return f"<div class='{kind}'>{html.escape(text)}</div>"


def _taken(folder: Path) -> set[str]:
    """Ids of every preset that is not one of the user's recipes."""
    found, _ = recipes.load_all(folder)
    mine = {r.id for r in found} | {r.variant.id for r in found}
    loaded = runtime.catalog()
    return ({m.id for m in loaded.methods} | {v.id for v in loaded.all_variants()}) - mine


def _method_update(value: Any = None) -> Any:
    choices = _method_choices(runtime.catalog())
    return gr.update(choices=choices) if value is None else gr.update(choices=choices, value=value)


def _wire_recipes(
    panel: dict[str, Any], method: Any, variant: Any, values: list[Any], status: Any, is_img2img: bool
) -> None:
    folder = _recipe_folder
    shown_outputs = [method, variant, *values, status]
    unchanged = [gr.update()] * len(shown_outputs)

    def show(variant_id: str, method_value: str) -> list[Any]:
        chosen = runtime.catalog().variant(variant_id)
        method_id = chosen.method_id if chosen else method_value
        return [
            _method_update(method_value),
            gr.update(choices=_variant_choices(runtime.catalog(), method_id, _current_family()), value=variant_id),
            *_preset_values(chosen),
            status_html(runtime.catalog(), variant_id, _shown(chosen), is_img2img),
        ]

    def on_save(*args: Any) -> list[Any]:
        _method_id, variant_id, strength, steps, cfg, sampler, schedule, name, lora, tie = args
        base = runtime.catalog().variant(str(variant_id))
        base_method = runtime.catalog().method(base.method_id) if base else None
        if base is None or base_method is None:
            return [gr.update(), gr.update(), gr.update(), _note(_t("unknown", id=variant_id), True)]
        checkpoint = _checkpoint_hash() if tie else ""
        file = local_lora_file(str(lora)) if lora and lora != METHOD_FILE else None
        edits = recipes.Edits(float(strength), int(steps), float(cfg), str(sampler or ""), str(schedule or ""))
        try:
            data = recipes.recipe_data(str(name), base_method, base, edits, checkpoint=checkpoint, file=file)
            recipe = recipes.save(folder(), data, _taken(folder()))
        except (recipes.RecipeError, PresetError, OSError) as error:
            return [gr.update(), gr.update(), gr.update(), _note(str(error), True)]
        runtime.reload_catalog()
        text = _t("saved", name=recipe.name, path=recipe.path)
        if tie:
            text += _t("tied") if checkpoint else _t("no_hash")
        # The sliders already hold the recipe's values: only the method and variant follow.
        return [
            _method_update(recipe.id),
            gr.update(choices=_variant_choices(runtime.catalog(), recipe.id, None), value=recipe.variant.id),
            gr.update(choices=_recipe_choices(), value=recipe.name),
            _note(text),
        ]

    def on_apply(shown: str) -> list[Any]:
        runtime.reload_catalog()
        try:
            recipe = recipes.find(folder(), _recipe_id(shown))
        except recipes.RecipeError:
            return [*unchanged, _note(_t("choose"), True)]
        return [*show(recipe.variant.id, recipe.id), _note(_t("applied", name=recipe.name))]

    def on_refresh(current: str, variant_id: str, *shown: Any) -> list[Any]:
        """Run on every page load too: gradio serves the page config of server start, so lists, the status
        line (download state, language) and the proposal for the loaded checkpoint are fetched anew."""
        runtime.reload_catalog()
        found, errors = recipes.load_all(folder())
        proposal = recipes.for_checkpoint(found, _checkpoint_hash(), _current_family())
        notes = [_note(_t("count", count=len(found), path=folder()))]
        value = current if current in {r.name for r in found} else None
        if proposal is not None and value in (None, proposal.name):
            value = proposal.name
            notes.append(_note(_t("proposed", name=proposal.name)))
        notes += [_note(_t("broken", error=error), True) for error in errors]
        return [
            _method_update(),
            gr.update(choices=[r.name for r in found], value=value),
            gr.update(choices=_file_choices()),
            status_html(runtime.catalog(), str(variant_id or ""), (shown[0], shown[1], shown[2]), is_img2img),
            "".join(notes),
        ]

    def on_rename(shown: str, new_name: str) -> list[Any]:
        try:
            recipe = recipes.rename(folder(), _recipe_id(shown), str(new_name or ""))
        except (recipes.RecipeError, PresetError, OSError) as error:
            return [gr.update(), gr.update(), _note(str(error), True)]
        runtime.reload_catalog()
        listed = gr.update(choices=_recipe_choices(), value=recipe.name)
        return [_method_update(), listed, _note(_t("renamed", name=recipe.name))]

    def on_delete(shown: str, method_id: str, variant_id: str) -> list[Any]:
        if not shown:  # nothing chosen, or the confirmation was declined
            return [*unchanged, gr.update(), gr.update()]
        try:
            recipe = recipes.delete(folder(), _recipe_id(shown))
        except (recipes.RecipeError, OSError) as error:
            return [*unchanged, gr.update(), _note(str(error), True)]
        runtime.reload_catalog()
        listed = gr.update(choices=_recipe_choices(), value=None)
        note = _note(_t("deleted", name=recipe.name))
        if method_id != recipe.id:
            return [_method_update(), *unchanged[1:], listed, note]
        # The panel showed the deleted recipe: go back to the variant it was made from.
        base = runtime.catalog().variant(recipe.based_on) or _default_variant(
            runtime.catalog(), DEFAULT_METHOD, _current_family()
        )
        shown = show(base.id, base.method_id) if base else unchanged
        return [*shown, listed, note]

    def on_export(shown: str) -> list[Any]:
        try:
            recipe = recipes.find(folder(), _recipe_id(shown))
        except recipes.RecipeError:
            return [None, _note(_t("choose"), True)]
        return [str(recipe.path), _note(_t("exported", name=recipe.name))]

    def on_import(upload: Any) -> list[Any]:
        if upload is None:
            return [gr.update(), gr.update(), gr.update()]
        source = Path(str(getattr(upload, "name", upload)))  # gradio 3: a tempfile wrapper; gradio 4: a path
        try:
            recipe = recipes.import_file(folder(), source, _taken(folder()))
        except (recipes.RecipeError, PresetError, OSError) as error:
            return [gr.update(), gr.update(), _note(str(error), True)]
        runtime.reload_catalog()
        listed = gr.update(choices=_recipe_choices(), value=recipe.name)
        return [_method_update(), listed, _note(_t("imported", name=recipe.name))]

    p = panel
    chosen, message = p["chosen"], p["message"]
    inputs = [method, variant, *values, p["name"], p["lora"], p["tie"]]
    p["save"].click(fn=on_save, inputs=inputs, outputs=[method, variant, chosen, message])
    p["apply"].click(fn=on_apply, inputs=[chosen], outputs=[*shown_outputs, message], show_progress=False)
    p["refresh"].click(
        fn=on_refresh,
        inputs=[chosen, variant, *values[:3]],
        outputs=[method, chosen, p["lora"], status, message],
        show_progress=False,
    )
    p["rename"].click(fn=on_rename, inputs=[chosen, p["new_name"]], outputs=[method, chosen, message])
    p["delete"].click(
        fn=on_delete,
        inputs=[chosen, method, variant],
        outputs=[*shown_outputs, chosen, message],
        _js="(id, method, variant) => accelerator.confirmDelete(id, method, variant)",
    )
    p["export"].click(fn=on_export, inputs=[chosen], outputs=[p["exported"], message])
    p["incoming"].upload(fn=on_import, inputs=[p["incoming"]], outputs=[method, chosen, message])


def _paste_fields(controls: list[Any]) -> list[Any]:
    enabled, method, variant, strength, steps, cfg, sampler, schedule = controls

    def from_variant(attribute: str, label: str) -> Callable[[dict[str, Any]], Any]:
        def read(params: dict[str, Any]) -> Any:
            if infotext.ENABLED_LABEL not in params:
                return None
            if label in params:
                return params[label]
            chosen = runtime.catalog().variant(str(params[infotext.ENABLED_LABEL]))
            return getattr(chosen, attribute) if chosen else None

        return read

    def name_or_preset(label: str) -> Callable[[dict[str, Any]], Any]:
        return lambda params: params.get(label, PRESET_LABEL) if infotext.ENABLED_LABEL in params else None

    def method_of(params: dict[str, Any]) -> Any:
        chosen = runtime.catalog().variant(str(params.get(infotext.ENABLED_LABEL, "")))
        return chosen.method_id if chosen else None

    # No `api=` names: the API would copy those values onto its own request fields (steps, cfg...).
    return [
        PasteField(enabled, lambda params: infotext.ENABLED_LABEL in params),
        PasteField(method, method_of),
        PasteField(variant, infotext.ENABLED_LABEL),
        PasteField(strength, from_variant("strength", "Accelerator strength")),
        PasteField(steps, from_variant("steps", "Accelerator steps")),
        PasteField(cfg, from_variant("cfg", "Accelerator CFG")),
        PasteField(sampler, name_or_preset("Accelerator sampler")),
        PasteField(schedule, name_or_preset("Accelerator schedule")),
    ]
