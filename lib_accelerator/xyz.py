"""The X/Y/Z-plot axes as data: what each value means, how it is checked, what it sets.

A cell's values are collected in a dict of `Request` fields that the script merges over the
accordion's values. Only the Method axis switches Accelerator on or off; the number axes switch it on
when no Method axis has spoken for the cell, so "Y = Strength" alone accelerates with the accordion's
method, while X = Method with an `off` column stays off whatever Y says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lib_accelerator import compatibility
from lib_accelerator.families import LoadedModel, family_label
from lib_accelerator.presets.catalog import Catalog
from lib_accelerator.request import CFG_LIMITS, SHIFT_LIMITS, STEPS_LIMITS, STRENGTH_LIMITS, Request

OFF = "off"
PREFIX = "[Accelerator] "


class AxisValueError(ValueError):
    """A typed axis value is invalid; raised before the grid's first image."""


@dataclass(frozen=True)
class AxisSpec:
    label: str
    field: str
    kind: type
    limits: tuple[float, float] | None = None


METHOD = AxisSpec(PREFIX + "Method", "method", str)
STRENGTH = AxisSpec(PREFIX + "Strength", "strength", float, STRENGTH_LIMITS)
STEPS = AxisSpec(PREFIX + "Steps", "steps", int, (float(STEPS_LIMITS[0]), float(STEPS_LIMITS[1])))
CFG = AxisSpec(PREFIX + "CFG", "cfg", float, CFG_LIMITS)
SHIFT = AxisSpec(PREFIX + "Shift", "shift", float, SHIFT_LIMITS)
AXES: tuple[AxisSpec, ...] = (METHOD, STRENGTH, STEPS, CFG, SHIFT)


def method_choices(catalog: Catalog, family: str | None) -> list[str]:
    """`off`, then method ids and variant ids that have a file for the loaded family (all when unknown)."""
    methods = catalog.methods_for(family) if family else catalog.methods
    variants = [v.id for m in methods for v in m.variants if family is None or v.family == family]
    return [OFF, *(m.id for m in methods), *variants]


def method_overrides(value: str, catalog: Catalog) -> dict[str, Any]:
    """What one Method-axis value sets: a whole recipe, or Accelerator off."""
    value = value.strip()
    if value.lower() == OFF:
        return {"enabled": False}
    if catalog.method(value) is not None:
        return {"enabled": True, "method": value, "variant": ""}
    variant = catalog.variant(value)
    if variant is not None:
        return {"enabled": True, "method": variant.method_id, "variant": variant.id}
    raise AxisValueError(f"{METHOD.label}: unknown value {value!r}; use off, a method or a variant id")


def check_methods(values: list[str], catalog: Catalog, family: str | LoadedModel | None) -> None:
    """Every value must exist and, when the loaded model is known, fit it (a LoadedModel: base variant and
    precision too, so a refused file stops the grid before its first image)."""
    loaded = compatibility.as_loaded(family)
    for value in values:
        overrides = method_overrides(value, catalog)
        if not overrides["enabled"] or loaded.family is None:
            continue
        method = catalog.method(overrides["method"])
        if method is not None and not method.variants_for(loaded.family):
            allowed = ", ".join(method_choices(catalog, loaded.family))
            raise AxisValueError(
                f"{METHOD.label}: {value!r} has no file for {family_label(loaded.family)} models; "
                f"choose from: {allowed}"
            )
        if isinstance(family, LoadedModel):
            request = Request(True, overrides["method"], overrides["variant"])
            try:
                compatibility.resolve(catalog, request, loaded)
            except compatibility.PlanError as error:
                raise AxisValueError(f"{METHOD.label}: {value!r}: {error}") from error


def check_numbers(spec: AxisSpec, values: list[Any]) -> None:
    assert spec.limits is not None
    low, high = spec.limits
    bad = [v for v in values if not low <= float(v) <= high]
    if bad:
        raise AxisValueError(f"{spec.label}: {bad} outside {low:g} to {high:g}")


def merge(current: Mapping[str, Any] | None, spec: AxisSpec, value: Any, catalog: Catalog) -> dict[str, Any]:
    """A new dict for one cell (never the one the grid's cells share) with this axis's value applied."""
    merged = dict(current or {})
    if spec is METHOD:
        merged.update(method_overrides(str(value), catalog))
        return merged
    merged[spec.field] = spec.kind(value)
    merged.setdefault("enabled", True)
    return merged


def applier(spec: AxisSpec, attribute: str, catalog: Callable[[], Catalog]) -> Callable[[Any, Any, Any], None]:
    """The `apply(p, x, xs)` callable the X/Y/Z script calls for each cell."""

    def apply(p: Any, value: Any, _values: Any) -> None:
        setattr(p, attribute, merge(getattr(p, attribute, None), spec, value, catalog()))

    return apply
