"""One-click comparison: which recipes to run, and how to label and describe the resulting grid."""

from __future__ import annotations

from dataclasses import dataclass

from lib_accelerator import compatibility
from lib_accelerator.families import LoadedModel, family_label
from lib_accelerator.presets.catalog import Catalog, Method, Variant
from lib_accelerator.request import Request


@dataclass(frozen=True)
class Cell:
    label: str
    request: Request  # enabled=False for the unaccelerated reference


def _default(catalog: Catalog, method: Method, model: str | LoadedModel) -> Variant | None:
    if not isinstance(model, LoadedModel):
        return method.default_variant(model)
    try:  # the file for the loaded base variant and precision; a method refused for them has no cell
        return compatibility.resolve(catalog, Request(True, method.id), model).variant
    except compatibility.PlanError:
        return None


def cells(catalog: Catalog, model: str | LoadedModel, methods: list[str] | None = None) -> list[Cell]:
    """The reference image first (accelerator off), then each method's default variant for the loaded model
    (a family id, or a LoadedModel: then the variant for its base variant, and no cell for a refused method).

    A method asked for by name that has no file for this family is an error, not a silently shorter grid.
    """
    family = model.family or "" if isinstance(model, LoadedModel) else model
    available = catalog.methods_for(family)
    unknown = [name for name in methods or () if name not in {m.id for m in available}]
    if unknown:
        raise ValueError(
            f"Accelerator: no method {', '.join(map(repr, unknown))} for {family_label(family)} models; "
            f"available: {', '.join(m.id for m in available) or 'none'}"
        )
    chosen = [Cell("Off (your settings)", Request(enabled=False))]
    for method in available:
        if methods and method.id not in methods:
            continue
        variant = _default(catalog, method, model)
        if variant is not None:
            chosen.append(Cell(f"{method.name} · {variant.label}", Request(True, method.id, variant.id)))
    return chosen


def label(cell: Cell, seconds: float) -> str:
    return f"{cell.label}\n{seconds:.1f} s"


def infotext_line(cell_labels: list[str], variant_ids: list[str], seconds: list[float]) -> str:
    """One line appended to the grid's infotext: every recipe and how long its image took."""
    parts = [
        f"{name.split(' · ')[0]}={variant or 'off'} ({time:.1f} s)"
        for name, variant, time in zip(cell_labels, variant_ids, seconds, strict=True)
    ]
    return "Accelerator comparison: " + "; ".join(parts)
