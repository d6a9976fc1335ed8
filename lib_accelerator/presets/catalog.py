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

from lib_accelerator.families import FAMILIES
from lib_accelerator.names import SAMPLERS, SCHEDULES
from lib_accelerator.presets.lora_file import LoraFile, local_lora_file

SCHEMA_VERSION = 1
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# The WebUI finds a LoRA by file stem and parses tags with `<(\w+):([^>]+)>` split on ':'.
_SAVE_AS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.safetensors$")
# A file the user already has: the WebUI's tag parser stops at ':' and '>'.
_LOCAL_NAME = re.compile(r"^[^:<>/\\]+\.safetensors$")
NEGATIVE_PROMPT_VALUES = ("no", "weak", "yes")


class PresetError(ValueError):
    """A preset file is malformed; the message names the file and the field."""

    def __init__(self, source: str, field_path: str, problem: str) -> None:
        super().__init__(f"{source}: {field_path}: {problem}")
        self.source = source
        self.field_path = field_path
        self.problem = problem


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
    file: LoraFile
    default: bool = False
    distilled_cfg: float | None = None
    notes: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)


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


class _Reader:
    """Typed access to one JSON object; every failure names the file and the dotted field path."""

    def __init__(self, source: str, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise PresetError(source, path or "(top level)", "must be a JSON object")
        self.source, self.data, self.path = source, data, path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> PresetError:
        return PresetError(self.source, self._where(key), problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, f"must be a number, got {value!r}")
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be {names}, got {type(value).__name__}")
        return value

    def text(self, key: str, pattern: re.Pattern[str] | None = None, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if pattern is not None and not pattern.match(value):
            raise self.fail(key, f"{value!r} does not match {pattern.pattern}")
        return str(value)

    def number(self, key: str, default: Any = ...) -> float:
        return float(self.get(key, (int, float), default))

    def span(self, key: str, around: float) -> tuple[float, float]:
        value = self.get(key, list, [around, around])
        if len(value) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            raise self.fail(key, "must be a list of two numbers [low, high]")
        low, high = float(value[0]), float(value[1])
        if not low <= around <= high:
            raise self.fail(key, f"[{low}, {high}] must contain the preset value {around}")
        return low, high

    def choices(self, key: str, allowed: Iterable[str]) -> tuple[str, ...]:
        value = self.get(key, (str, list))
        items = [value] if isinstance(value, str) else value
        allowed = tuple(allowed)
        bad = [x for x in items if x not in allowed]
        if not items or bad:
            raise self.fail(key, f"unknown {bad or 'empty list'}; allowed: {', '.join(allowed)}")
        return tuple(items)

    def texts(self, key: str) -> dict[str, str]:
        value = self.get(key, dict, {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise self.fail(key, "must map names to strings")
        return dict(value)

    def child(self, key: str) -> _Reader:
        return _Reader(self.source, self.get(key, dict), self._where(key))


def _parse_local_file(reader: _Reader) -> LoraFile:
    relative = reader.text("local")
    parts = relative.split("/")
    if "\\" in relative or relative.startswith("/") or ":" in parts[0] or any(p in ("", ".", "..") for p in parts):
        raise reader.fail("local", f"{relative!r} must be a relative path inside the LoRA folder, with / separators")
    if not _LOCAL_NAME.match(parts[-1]):
        raise reader.fail("local", f"{parts[-1]!r} must be a *.safetensors name without ':', '<' or '>'")
    sha256 = reader.text("sha256", _HEX64) if "sha256" in reader.data else ""
    return local_lora_file(relative, sha256)


def _parse_file(reader: _Reader) -> LoraFile:
    if "local" in reader.data:
        return _parse_local_file(reader)
    size = reader.get("size", int)
    if size <= 0:
        raise reader.fail("size", "must be a positive number of bytes")
    return LoraFile(
        repo_id=reader.text("repo_id", re.compile(r"^[\w.-]+/[\w.-]+$")),
        filename=reader.text("filename"),
        revision=reader.text("revision", _HEX40),
        sha256=reader.text("sha256", _HEX64),
        size=size,
        save_as=reader.text("save_as", _SAVE_AS),
    )


def _parse_variant(reader: _Reader, method_id: str) -> Variant:
    steps = reader.get("steps", int)
    steps_low, steps_high = reader.span("steps_range", steps)
    if steps < 1:
        raise reader.fail("steps", "must be at least 1")
    strength, cfg = reader.number("strength"), reader.number("cfg")
    negative = reader.text("negative_prompt")
    if negative not in NEGATIVE_PROMPT_VALUES:
        raise reader.fail("negative_prompt", f"must be one of {', '.join(NEGATIVE_PROMPT_VALUES)}")
    distilled = reader.get("distilled_cfg", (int, float, type(None)), None)
    return Variant(
        id=reader.text("id", _ID),
        method_id=method_id,
        family=reader.choices("family", FAMILIES)[0],
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
        file=_parse_file(reader.child("file")),
        default=bool(reader.get("default", bool, False)),
        distilled_cfg=None if distilled is None else float(distilled),
        notes=reader.texts("notes"),
        sources=reader.texts("sources"),
    )


def parse_method(data: Any, source: str) -> Method:
    """Validate one preset file's content; raise PresetError naming the first bad field."""
    reader = _Reader(source, data)
    version = reader.get("schema_version", int)
    if version != SCHEMA_VERSION:
        raise reader.fail("schema_version", f"is {version}; this Accelerator reads {SCHEMA_VERSION}")
    method_id = reader.text("id", _ID)
    raw_variants = reader.get("variants", list)
    if not raw_variants:
        raise reader.fail("variants", "must list at least one variant")
    variants = tuple(
        _parse_variant(_Reader(source, item, f"variants[{i}]"), method_id) for i, item in enumerate(raw_variants)
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
