"""Typed, path-naming access to one preset file's JSON: every failure names the file and the dotted field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


class PresetError(ValueError):
    """A preset file is malformed; the message names the file and the field."""

    def __init__(self, source: str, field_path: str, problem: str) -> None:
        super().__init__(f"{source}: {field_path}: {problem}")
        self.source = source
        self.field_path = field_path
        self.problem = problem


class Reader:
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

    def child(self, key: str) -> Reader:
        return Reader(self.source, self.get(key, dict), self._where(key))
