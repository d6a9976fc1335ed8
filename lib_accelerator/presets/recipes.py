"""The user's own recipes: a method file with one variant, kept in the user presets folder.

A recipe is an ordinary preset file (same schema, same validation as `presets/*.json`) plus a `recipe`
block that marks it as the panel's to manage: which variant it was made from, and optionally the
checkpoint hash it belongs to, so the panel can propose it when that checkpoint is loaded. Its file is
the chosen variant's download, or a LoRA the user already keeps in the LoRA folder (`{"local": ...}`).
Ids never change after saving (a rename changes only the shown name): PNG info of older images names
the variant id, and must keep finding it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib_accelerator.atomic_write import write_text_atomic
from lib_accelerator.names import SAMPLERS, SCHEDULES, sampler_id_for, schedule_id_for
from lib_accelerator.presets.catalog import (
    SCHEMA_VERSION,
    Method,
    PresetError,
    Variant,
    parse_method,
    read_json,
)
from lib_accelerator.presets.files import variant_files_data
from lib_accelerator.presets.lora_file import LoraFile

RECIPE_KEY = "recipe"
METHOD_PREFIX = "my_"
VARIANT_PREFIX = "my-"
MAX_IMPORT_BYTES = 1_000_000
PRESET_WORDS = ("", "preset")  # what the UI sends for "as the preset says"


class RecipeError(ValueError):
    """A recipe cannot be saved, found, renamed, deleted or imported; the message says why."""


@dataclass(frozen=True)
class Edits:
    """The panel's values at the moment of saving; sampler and schedule as shown in the WebUI."""

    strength: float
    steps: int
    cfg: float
    sampler: str = ""
    schedule: str = ""
    shift: float | None = None  # None: the base's own; kept only where the base has a shift to edit


@dataclass(frozen=True)
class Recipe:
    path: Path
    method: Method
    based_on: str
    checkpoint: str

    @property
    def id(self) -> str:
        return self.method.id

    @property
    def name(self) -> str:
        return self.method.name

    @property
    def variant(self) -> Variant:
        return self.method.variants[0]


def slug(name: str) -> str:
    """An id-safe form of a display name; names without Latin letters or digits get a stable hash."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    text = "-".join(words)[:40].strip("-")
    return text or "recipe-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


def _names(
    value: str, base: tuple[str, ...], lookup: Callable[[str], str | None], kind: str, allowed: Iterable[str | None]
) -> list[str]:
    if value.strip().lower() in PRESET_WORDS:
        return list(base)
    neutral = lookup(value)
    if neutral is None:
        choices = ", ".join(a for a in allowed if a)
        raise RecipeError(f"the {kind} {value!r} cannot be kept in a recipe; choose Preset or one of {choices}")
    return [neutral]


def _span(value: float, low: float, high: float) -> list[float]:
    return [min(low, value), max(high, value)]


def _carried(base: Variant) -> dict[str, Any]:
    """What a recipe keeps from its base as it is: the panel does not edit these."""
    kept = {"distilled_cfg": base.distilled_cfg, "shift": base.shift, "base_variants": list(base.base_variants)}
    return {key: value for key, value in kept.items() if value not in (None, [])}


def recipe_data(
    name: str,
    method: Method,
    base: Variant,
    edits: Edits,
    *,
    checkpoint: str = "",
    file: LoraFile | None = None,
) -> dict[str, Any]:
    """The JSON content of a new recipe: `base` with the user's edits, and optionally another file.

    The ranges keep the base variant's sensible range, widened just enough to hold the user's values
    (the schema wants every value inside its range).
    """
    name = name.strip()
    if not name:
        raise RecipeError("give the recipe a name")
    key = slug(name)
    variant: dict[str, Any] = {
        "id": VARIANT_PREFIX + key,
        "family": base.family,
        "label": name,
        "default": True,
        "steps": int(edits.steps),
        "steps_range": [int(x) for x in _span(edits.steps, *base.steps_range)],
        "strength": float(edits.strength),
        "strength_range": _span(edits.strength, *base.strength_range),
        "cfg": float(edits.cfg),
        "cfg_range": _span(edits.cfg, *base.cfg_range),
        "sampler": _names(edits.sampler, base.samplers, sampler_id_for, "sampler", SAMPLERS.values()),
        "schedule": _names(edits.schedule, base.schedules, schedule_id_for, "schedule type", SCHEDULES.values()),
        "negative_prompt": base.negative_prompt,
        **variant_files_data(base.files, file),
        "notes": dict(base.notes),
        "sources": {"settings": f"your recipe, made from {base.id}"},
    }
    variant.update(_carried(base))
    if base.shift is not None and edits.shift is not None:
        variant["shift"] = float(edits.shift)
    return {
        "schema_version": SCHEMA_VERSION,
        "id": METHOD_PREFIX + key.replace("-", "_"),
        "name": name,
        "summary": {
            "en": f"Your recipe, made from {method.name} · {base.label}.",
            "ja": f"{method.name} · {base.label} をもとにしたあなたのレシピです。",
        },
        "homepage": method.homepage,
        "license": method.license,
        "license_url": method.license_url,
        "commercial_use": method.commercial_use,
        "experimental": method.experimental,
        "variants": [variant],
        RECIPE_KEY: {"based_on": base.id, "checkpoint": checkpoint.strip().lower()},
    }


def _recipe(data: Any, path: Path) -> Recipe:
    """Validate like any preset file, plus the recipe block; raise PresetError naming file and field."""
    method = parse_method(data, str(path))
    block = data.get(RECIPE_KEY)
    if not isinstance(block, dict):
        raise PresetError(str(path), RECIPE_KEY, "is missing: this file is a preset, not a recipe")
    if len(method.variants) != 1:
        raise PresetError(str(path), "variants", "a recipe has exactly one variant")
    checkpoint = block.get("checkpoint", "")
    based_on = block.get("based_on", "")
    if not isinstance(checkpoint, str) or not isinstance(based_on, str):
        raise PresetError(str(path), RECIPE_KEY, "'based_on' and 'checkpoint' must be text")
    return Recipe(path=path, method=method, based_on=based_on, checkpoint=checkpoint.lower())


def load_all(folder: Path) -> tuple[list[Recipe], list[PresetError]]:
    """Every recipe in the folder, by name; files that are not recipes are skipped, broken ones reported."""
    recipes: list[Recipe] = []
    errors: list[PresetError] = []
    if not folder.is_dir():
        return recipes, errors
    for path in sorted(folder.glob("*.json")):
        try:
            data = read_json(path)
            if isinstance(data, dict) and RECIPE_KEY not in data:
                continue  # a hand-written preset: the catalogue loads it, the panel leaves it alone
            recipes.append(_recipe(data, path))
        except PresetError as exc:
            errors.append(exc)
    return sorted(recipes, key=lambda r: r.name.lower()), errors


def find(folder: Path, recipe_id: str) -> Recipe:
    recipes, _ = load_all(folder)
    found = next((r for r in recipes if r.id == recipe_id), None)
    if found is None:
        raise RecipeError(f"no recipe {recipe_id!r} in {folder}")
    return found


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The catalogue may be loading the folder right now: it must see the old or the new file, never half.
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def save(folder: Path, data: dict[str, Any], taken: Collection[str] = ()) -> Recipe:
    """Validate and write a recipe as `<id>.json`; an older recipe with the same id is replaced.

    `taken`: method and variant ids used by other presets, which a recipe must not shadow.
    """
    path = folder / f"{data.get('id')}.json"
    recipe = _recipe(data, path)  # raises before anything is written
    mine: set[str] = set()  # ids of the recipe this one replaces
    if path.exists():
        try:
            old = _recipe(read_json(path), path)
        except PresetError as exc:
            raise RecipeError(f"{path} exists and is not a recipe; it is left as it is") from exc
        mine = {old.id, old.variant.id}
    clash = sorted((set(taken) - mine) & {recipe.id, recipe.variant.id})
    if clash:
        raise RecipeError(f"the id {clash[0]!r} is already used by another preset; choose another name")
    _check_name_free(folder, recipe.name, recipe.id)
    _write(path, data)
    return recipe


def _check_name_free(folder: Path, name: str, recipe_id: str) -> None:
    """Recipes are chosen by name in the panel, so two recipes never share one."""
    others, _ = load_all(folder)
    if any(r.name.casefold() == name.casefold() and r.id != recipe_id for r in others):
        raise RecipeError(f"another recipe is already called {name!r}; choose another name")


def rename(folder: Path, recipe_id: str, new_name: str) -> Recipe:
    """Change the shown name only; ids (and so older images' PNG info) stay as they were."""
    new_name = new_name.strip()
    if not new_name:
        raise RecipeError("give the new name")
    recipe = find(folder, recipe_id)
    _check_name_free(folder, new_name, recipe.id)
    data = read_json(recipe.path)
    data["name"] = new_name
    data["variants"][0]["label"] = new_name
    _write(recipe.path, data)
    return _recipe(data, recipe.path)


def delete(folder: Path, recipe_id: str) -> Recipe:
    recipe = find(folder, recipe_id)
    recipe.path.unlink()
    return recipe


def import_file(folder: Path, source: Path, taken: Collection[str] = ()) -> Recipe:
    """Copy an exported recipe (or any valid preset file with one variant) into the folder."""
    if source.stat().st_size > MAX_IMPORT_BYTES:
        raise RecipeError(f"{source.name} is too large for a recipe")
    try:
        data = read_json(source)
    except PresetError as exc:
        raise RecipeError(str(exc)) from exc
    if isinstance(data, dict) and RECIPE_KEY not in data:
        variants = data.get("variants")
        first = variants[0] if isinstance(variants, list) and variants and isinstance(variants[0], dict) else {}
        data = {**data, RECIPE_KEY: {"based_on": str(first.get("id", "")), "checkpoint": ""}}
    try:
        _recipe(data, Path(source.name))
    except PresetError as exc:
        raise RecipeError(str(exc)) from exc
    return save(folder, data, taken)


def same_checkpoint(stored: str, loaded: str) -> bool:
    """Short (10 hex) and full (64 hex) sha256 forms of one checkpoint match each other."""
    a, b = stored.strip().lower(), loaded.strip().lower()
    return len(a) >= 8 and len(b) >= 8 and (a.startswith(b) or b.startswith(a))


def for_checkpoint(recipes: Iterable[Recipe], checkpoint: str, family: str | None = None) -> Recipe | None:
    """The recipe tied to this checkpoint (and fitting its family, when known), if any."""
    fits = (r for r in recipes if family is None or r.variant.family == family)
    return next((r for r in fits if r.checkpoint and same_checkpoint(r.checkpoint, checkpoint)), None)


def local_loras(lora_dir: Path, limit: int = 5000) -> list[str]:
    """`*.safetensors` under the LoRA folder, as `/`-separated relative paths a recipe can name."""
    found: list[str] = []
    if not lora_dir.is_dir():
        return found
    for path in sorted(lora_dir.rglob("*.safetensors")):
        relative = path.relative_to(lora_dir).as_posix()
        if not any(c in path.name for c in ":<>") and path.is_file():
            found.append(relative)
        if len(found) >= limit:
            break
    return found
