"""What the user asked for: the accordion's values, an API dict, or pasted infotext, validated alike.

`None` in a field means "as the preset says". The UI always sends concrete numbers (its sliders are
prefilled from the preset), so `Request.relative_to` turns values equal to the shown preset back into
`None`: that keeps a recipe correct when the loaded model's family picks another variant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from lib_accelerator.presets.catalog import Catalog, Variant

STRENGTH_LIMITS = (0.0, 2.0)
STEPS_LIMITS = (1, 150)
CFG_LIMITS = (1.0, 30.0)
# Forge Neo keeps the shift in its Distilled CFG slider, 0-30 (reference/forge.md section 4); SD.Next's own
# sampler shift has no tighter bound.
SHIFT_LIMITS = (0.0, 30.0)
PRESET = ""  # sampler / schedule value meaning "as the preset says"
PRESET_LABEL = "Preset"  # how the UI shows PRESET


class RequestError(ValueError):
    """An argument is invalid; the message names the field and what is allowed."""


@dataclass(frozen=True)
class Request:
    enabled: bool = False
    method: str = ""
    variant: str = ""
    strength: float | None = None
    steps: int | None = None
    cfg: float | None = None
    sampler: str = PRESET
    schedule: str = PRESET
    # Last, so that positional API args of older clients (and the accordion's older order) keep their meaning.
    shift: float | None = None

    def relative_to(self, shown: Variant | None) -> Request:
        """Drop values that equal the preset the UI showed, so they follow the chosen variant."""
        if shown is None:
            return self
        return replace(
            self,
            strength=None if _same(self.strength, shown.strength) else self.strength,
            steps=None if self.steps == shown.steps else self.steps,
            cfg=None if _same(self.cfg, shown.cfg) else self.cfg,
            shift=None if shown.shift is not None and _same(self.shift, shown.shift) else self.shift,
        )


# Every argument, in positional order: the API's positional `args` and dict keys. Shift came last, so older
# positional calls keep their meaning.
ARGUMENT_ORDER: tuple[str, ...] = tuple(f.name for f in fields(Request))
# The accordion's controls, in the order `ui()` returns them (the same order without the arguments the panel has
# no control for yet: the shift). The glue zips its controls with this tuple.
NO_PANEL_CONTROL_YET = ("shift",)
FIELD_ORDER: tuple[str, ...] = tuple(name for name in ARGUMENT_ORDER if name not in NO_PANEL_CONTROL_YET)


def _same(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 1e-6


def _number(name: str, value: Any, kind: type, limits: tuple[float, float]) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RequestError(f"Accelerator: '{name}' must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise RequestError(f"Accelerator: '{name}' must be a number, got {value!r}") from exc
    if kind is int and number != int(number):
        raise RequestError(f"Accelerator: '{name}' must be a whole number, got {value!r}")
    low, high = limits
    if not low <= number <= high:
        raise RequestError(f"Accelerator: '{name}' is {value!r}; allowed {low:g} to {high:g}")
    return number


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestError(f"Accelerator: '{name}' must be text, got {value!r}")
    return value.strip()


def _name(name: str, value: Any) -> str:
    """Sampler and schedule: the UI's "Preset" entry means the preset's own choice."""
    text = _text(name, value)
    return PRESET if text.lower() == PRESET_LABEL.lower() else text


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def from_mapping(values: Mapping[str, Any]) -> Request:
    unknown = sorted(set(values) - set(ARGUMENT_ORDER))
    if unknown:
        raise RequestError(
            f"Accelerator: unknown argument(s) {', '.join(unknown)}; allowed: {', '.join(ARGUMENT_ORDER)}"
        )
    steps = _number("steps", values.get("steps"), int, STEPS_LIMITS)
    return Request(
        enabled=_flag(values.get("enabled", False)),
        method=_text("method", values.get("method")),
        variant=_text("variant", values.get("variant")),
        strength=_number("strength", values.get("strength"), float, STRENGTH_LIMITS),
        steps=None if steps is None else int(steps),
        cfg=_number("cfg", values.get("cfg"), float, CFG_LIMITS),
        sampler=_name("sampler", values.get("sampler")),
        schedule=_name("schedule", values.get("schedule")),
        shift=_number("shift", values.get("shift"), float, SHIFT_LIMITS),
    )


def from_script_args(args: Sequence[Any]) -> Request:
    """Accordion values in ARGUMENT_ORDER, or one dict in the first position (the API's dict form)."""
    if args and isinstance(args[0], Mapping):
        return from_mapping(args[0])
    if len(args) > len(ARGUMENT_ORDER):
        raise RequestError(f"Accelerator: expected at most {len(ARGUMENT_ORDER)} arguments, got {len(args)}")
    return from_mapping(dict(zip(ARGUMENT_ORDER, args, strict=False)))


def check_names(request: Request, catalog: Catalog) -> None:
    """Method and variant must exist; the message lists what does."""
    if request.method and catalog.method(request.method) is None:
        known = ", ".join(m.id for m in catalog.methods)
        raise RequestError(f"Accelerator: unknown method {request.method!r}; available: {known}")
    if request.variant and catalog.variant(request.variant) is None:
        method = catalog.method(request.method)
        pool = method.variants if method else catalog.all_variants()
        raise RequestError(
            f"Accelerator: unknown variant {request.variant!r}; available: {', '.join(v.id for v in pool)}"
        )
    if not request.method and not request.variant and request.enabled:
        raise RequestError("Accelerator: choose a method (for example 'lightning') or a variant id")
