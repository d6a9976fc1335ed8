"""Text the panel composes itself, in English or Japanese: the WebUI's localization JS translates only fixed
labels, so the status line and the recipe messages pick their language here from the WebUI's setting."""

from __future__ import annotations

import html
from typing import Any

from lib_accelerator import compatibility
from lib_accelerator.families import family_label
from lib_accelerator.presets.catalog import Catalog, Variant
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.webui import services
from lib_accelerator.webui.ui_state import current_model

TEXT: dict[str, tuple[str, str]] = {
    "downloaded": ("downloaded", "ダウンロード済み"),
    "missing": ("not downloaded yet: it is fetched on first use", "未ダウンロード：初回の生成時に取得します"),
    "local": ("your own file in the LoRA folder", "LoRA フォルダにあるあなたのファイル"),
    "local_missing": ("not found in the LoRA folder", "LoRA フォルダに見つかりません"),
    "no_file": (
        "No file needed: settings only, for a checkpoint that is distilled itself; nothing is downloaded and no "
        "LoRA tag is added.",
        "ファイル不要：それ自体が蒸留済みのチェックポイント向けの設定だけです。"
        "何もダウンロードせず、LoRA タグも加えません。",
    ),
    "nothing_to_download": (
        "This variant has no file: there is nothing to download.",
        "このバリアントにはファイルがないため、ダウンロードするものはありません。",
    ),
    "files_total": ("{count} files, {size} in all", "{count} ファイル、合計 {size}"),
    "shift": ("shift {shift:g}", "シフト {shift:g}"),
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


def lang() -> str:
    from modules import shared

    return "ja" if str(getattr(shared.opts, "localization", "") or "").startswith("ja") else "en"


def t(key: str, **values: Any) -> str:
    """TEXT[key] in the WebUI's language, with `values` filled in."""
    english, japanese = TEXT[key]
    return (japanese if lang() == "ja" else english).format(**values)


def _localized(texts: Any) -> str:
    return str(texts.get(lang()) or texts.get("en", ""))


def note(text: str, warning: bool = False) -> str:
    kind = "accelerator-status accelerator-warning" if warning else "accelerator-status"
    return f"<div class='{kind}'>{html.escape(text)}</div>"


def _size(size: int) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 1e7 else f"{size / 1e6:.2g} MB"


def _one_file(file: LoraFile) -> str:
    if file.is_local:
        present = (services.download_options().lora_dir / file.local).is_file()
        return f"<b>{html.escape(file.local)}</b> · {t('local') if present else t('local_missing')}"
    options = services.download_options()
    target = options.lora_dir / str(options.subfolder) / file.save_as
    state = t("downloaded") if target.is_file() else t("missing")
    return f"<b>{html.escape(file.save_as)}</b> · {_size(file.size)} · {state}"


def _file_line(variant: Variant) -> str:
    """Each of the variant's files with its download state (Wan 2.2: both experts), or that it needs none."""
    if variant.recipe_only:
        return html.escape(t("no_file"))
    lines = [_one_file(f) for f in variant.files]
    if len(variant.files) > 1:
        lines.append(html.escape(t("files_total", count=len(variant.files), size=_size(variant.size))))
    return "<br>".join(lines)


def _warnings(variant: Variant, values: tuple[Any, Any, Any]) -> list[str]:
    out = []
    model = current_model()
    if model.family and variant.family != model.family:
        out.append(t("family", variant=family_label(variant.family), loaded=family_label(model.family)))
    elif model.family:
        # Same family, but a base variant or precision the file does not fit (the compatibility table's reason;
        # English only: it names files and issues).
        refusal = compatibility.check(variant, model)
        if refusal:
            out.append(refusal.removeprefix("Accelerator: "))
    ranges = (("strength", variant.strength_range), ("steps", variant.steps_range), ("cfg", variant.cfg_range))
    for (what, (low, high)), value in zip(ranges, values, strict=True):
        if isinstance(value, (int, float)) and not low - 1e-9 <= value <= high + 1e-9:
            out.append(t("range", what=t(what), value=value, low=low, high=high, variant=variant.id))
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
        guide.append(t("img2img", steps=values[1] if isinstance(values[1], (int, float)) else variant.steps))
    links = []
    if method is not None and method.license:
        target = html.escape(method.license_url or method.homepage)
        links.append(
            f'{t("licence")}: <a href="{target}" target="_blank" rel="noopener">{html.escape(method.license)}</a>'
        )
    if method is not None and method.homepage:
        links.append(f'<a href="{html.escape(method.homepage)}" target="_blank" rel="noopener">{t("source")}</a>')
    title = f"{method.name} · {family_label(variant.family)} · {variant.label}" if method else variant.label
    if variant.shift is not None:  # said also where the host has no shift box: what the file was made for
        title += f" · {t('shift', shift=variant.shift)}"
    parts = [
        f"<div class='accelerator-title'><b>{html.escape(title)}</b> ({html.escape(variant.id)})</div>",
        f"<div class='accelerator-file'>{_file_line(variant)}</div>",
        f"<div class='accelerator-guide'>{html.escape(' '.join(g for g in guide if g))}</div>",
        f"<div class='accelerator-links'>{' · '.join(links)}</div>",
        *(f"<div class='accelerator-warning'>{html.escape(w)}</div>" for w in _warnings(variant, values)),
    ]
    return f"<div class='accelerator-status'>{''.join(parts)}</div>"
