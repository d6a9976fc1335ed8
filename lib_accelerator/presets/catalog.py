"""Preset catalogue: the typed form of `presets/*.json` and of user recipe files.

A preset file describes one acceleration method (for example SDXL-Lightning) and its variants: one per
model family and step count, each with the exact LoRA file (pinned revision, sha256, size) and the
settings it was trained for. Built-in and user files go through the same validation, so a broken user
file is reported by name and field while every other file still loads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib_accelerator.families import BASE_VARIANTS, FAMILIES
from lib_accelerator.names import SAMPLERS, SCHEDULES
from lib_accelerator.presets.files import parse_variant_files
from lib_accelerator.presets.lora_file import LoraFile, local_lora_file
from lib_accelerator.presets.reader import PresetError, Reader

__all__ = [
    "SCHEMA_VERSION",
    "Catalog",
    "LoraFile",
    "Method",
    "PresetError",
    "Variant",
    "load_catalog",
    "local_lora_file",
    "parse_method",
]

SCHEMA_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
NEGATIVE_PROMPT_VALUES = ("no", "weak", "yes")


@dataclass(frozen=True)
class Variant:
    """One concrete recipe: a file plus the settings it was made for, for one model family."""

    id: str
    method_id: str
    family: str
    label: str
    steps: int
    steps_range: tuple[int, int]
    strength: float
    strength_range: tuple[float, float]
    cfg: float
    cfg_range: tuple[float, float]
    samplers: tuple[str, ...]
    schedules: tuple[str, ...]
    negative_prompt: str
    # The primary file: the one the `<lora:…>` tag names. NO_FILE for a recipe-only variant.
    file: LoraFile
    default: bool = False
    distilled_cfg: float | None = None
    notes: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    # Every file to download and verify, primary first: one, two (Wan 2.2 experts), or none (recipe only).
    files: tuple[LoraFile, ...] = ()
    # The flow-matching shift the file was distilled with (or the checkpoint wants); None: not a shift model.
    shift: float | None = None
    # The base variants of the family this variant is for (families.BASE_VARIANTS); empty: any of them.
    base_variants: tuple[str, ...] = ()

    @property
    def recipe_only(self) -> bool:
        """Settings for a checkpoint that is distilled itself: nothing to download, no tag."""
        return not self.files

    @property
    def lora_stem(self) -> str:
        """What `<lora:…>` names; "" for a recipe-only variant (then no tag is added)."""
        return "" if self.recipe_only else self.file.stem

    @property
    def tag_stems(self) -> tuple[str, ...]:
        """Every name a generation may have tagged: a host that loads each Wan 2.2 expert by its own tag (SD.Next)
        writes both files' names, so pasting an image back takes out both."""
        return () if self.recipe_only else tuple(dict.fromkeys(f.stem for f in self.files))

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def fits_base(self, base_variant: str) -> bool:
        return not self.base_variants or base_variant in self.base_variants


@dataclass(frozen=True)
class Method:
    id: str
    name: str
    summary: Mapping[str, str]
    homepage: str
    license: str
    license_url: str
    commercial_use: bool
    experimental: bool
    variants: tuple[Variant, ...]
    source_file: str = ""

    def variants_for(self, family: str) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.family == family)

    def default_variant(self, family: str) -> Variant | None:
        candidates = self.variants_for(family)
        for variant in candidates:
            if variant.default:
                return variant
        return candidates[0] if candidates else None


@dataclass(frozen=True)
class Catalog:
    methods: tuple[Method, ...]
    errors: tuple[PresetError, ...] = ()

    def method(self, method_id: str) -> Method | None:
        return next((m for m in self.methods if m.id == method_id), None)

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for m in self.methods for v in m.variants if v.id == variant_id), None)

    def all_variants(self) -> tuple[Variant, ...]:
        return tuple(v for m in self.methods for v in m.variants)

    def methods_for(self, family: str) -> tuple[Method, ...]:
        return tuple(m for m in self.methods if m.variants_for(family))

    def files(self) -> tuple[LoraFile, ...]:
        """Every file to download, each once (two variants may share one)."""
        unique = {(f.repo_id, f.filename, f.sha256): f for v in self.all_variants() for f in v.files}
        return tuple(unique.values())


def _parse_variant(reader: Reader, method_id: str) -> Variant:
    steps = reader.get("steps", int)
    steps_low, steps_high = reader.span("steps_range", steps)
    if steps < 1:
        raise reader.fail("steps", "must be at least 1")
    strength, cfg = reader.number("strength"), reader.number("cfg")
    negative = reader.text("negative_prompt")
    if negative not in NEGATIVE_PROMPT_VALUES:
        raise reader.fail("negative_prompt", f"must be one of {', '.join(NEGATIVE_PROMPT_VALUES)}")
    distilled = reader.get("distilled_cfg", (int, float, type(None)), None)
    family = reader.choices("family", FAMILIES)[0]
    file, files = parse_variant_files(reader)
    return Variant(
        id=reader.text("id", _ID),
        method_id=method_id,
        family=family,
        label=reader.text("label"),
        steps=steps,
        steps_range=(int(steps_low), int(steps_high)),
        strength=strength,
        strength_range=reader.span("strength_range", strength),
        cfg=cfg,
        cfg_range=reader.span("cfg_range", cfg),
        samplers=reader.choices("sampler", SAMPLERS),
        schedules=reader.choices("schedule", SCHEDULES),
        negative_prompt=negative,
        file=file,
        default=bool(reader.get("default", bool, False)),
        distilled_cfg=None if distilled is None else float(distilled),
        notes=reader.texts("notes"),
        sources=reader.texts("sources"),
        files=files,
        shift=_shift(reader),
        base_variants=_base_variants(reader, family),
    )


def _shift(reader: Reader) -> float | None:
    value = reader.get("shift", (int, float, type(None)), None)
    if value is not None and value <= 0:
        raise reader.fail("shift", "must be a positive number (or null)")
    return None if value is None else float(value)


def _base_variants(reader: Reader, family: str) -> tuple[str, ...]:
    if "base_variants" not in reader.data:
        return ()
    known = BASE_VARIANTS.get(family)
    if not known:
        raise reader.fail("base_variants", f"{family} has no base variants")
    return reader.choices("base_variants", known)


def parse_method(data: Any, source: str) -> Method:
    """Validate one preset file's content; raise PresetError naming the first bad field."""
    reader = Reader(source, data)
    version = reader.get("schema_version", int)
    if version != SCHEMA_VERSION:
        raise reader.fail("schema_version", f"is {version}; this Accelerator reads {SCHEMA_VERSION}")
    method_id = reader.text("id", _ID)
    raw_variants = reader.get("variants", list)
    if not raw_variants:
        raise reader.fail("variants", "must list at least one variant")
    variants = tuple(
        _parse_variant(Reader(source, item, f"variants[{i}]"), method_id) for i, item in enumerate(raw_variants)
    )
    seen: set[str] = set()
    for i, variant in enumerate(variants):
        if variant.id in seen:
            raise PresetError(source, f"variants[{i}].id", f"{variant.id!r} appears twice")
        seen.add(variant.id)
    return Method(
        id=method_id,
        name=reader.text("name"),
        summary=reader.texts("summary"),
        homepage=reader.text("homepage", default=""),
        license=reader.text("license"),
        license_url=reader.text("license_url", default=""),
        commercial_use=bool(reader.get("commercial_use", bool)),
        experimental=bool(reader.get("experimental", bool, False)),
        variants=variants,
        source_file=source,
    )


def read_json(path: Path) -> Any:
    """A preset or recipe file's JSON; PresetError names the file (and line) when it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(str(path), "(file)", f"cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise PresetError(str(path), f"line {exc.lineno}", f"is not valid JSON: {exc.msg}") from exc


def load_catalog(builtin_dir: Path, user_dirs: Iterable[Path] = ()) -> Catalog:
    """Load every `*.json` preset; bad files land in `Catalog.errors` and the rest still load.

    A user file whose method or variant id repeats an earlier one is reported rather than silently
    shadowing the built-in recipe.
    """
    methods: list[Method] = []
    errors: list[PresetError] = []
    variant_ids: set[str] = set()
    files = sorted(builtin_dir.glob("*.json"))
    for directory in user_dirs:
        if directory.is_dir():
            files.extend(sorted(directory.glob("*.json")))
    for path in files:
        try:
            method = parse_method(read_json(path), str(path))
            if any(m.id == method.id for m in methods):
                raise PresetError(str(path), "id", f"method {method.id!r} is already defined")
            clash = next((v.id for v in method.variants if v.id in variant_ids), None)
            if clash is not None:
                raise PresetError(str(path), "variants", f"variant {clash!r} is already defined")
        except PresetError as exc:
            errors.append(exc)
            continue
        methods.append(method)
        variant_ids.update(v.id for v in method.variants)
    return Catalog(methods=tuple(methods), errors=tuple(errors))


def builtin_presets_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "presets"
