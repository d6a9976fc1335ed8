"""The README's method table, made from the presets so that it cannot drift from them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lib_accelerator.families import base_variant_label, family_label
from lib_accelerator.names import SAMPLERS, SCHEDULES
from lib_accelerator.presets.catalog import Catalog

START, END = "<!-- methods:start -->", "<!-- methods:end -->"


def _names(ids: tuple[str, ...], table: Mapping[str, str]) -> str:
    shown = [table[i] for i in ids]
    return shown[0] + (f" (else {', '.join(shown[1:])})" if len(shown) > 1 else "")


def markdown(catalog: Catalog) -> str:
    columns = ("method", "variant", "family", "steps", "CFG", "strength", "sampler", "schedule type", "shift",
               "negative prompt", "MB", "licence")  # fmt: skip
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for method in catalog.methods:
        name = method.name + (" *(experimental)*" if method.experimental else "")
        flag = not method.commercial_use and "commercial" not in method.license.lower()
        licence = method.license + (" (non-commercial)" if flag else "")
        for v in method.variants:
            steps = (
                f"{v.steps}"
                if v.steps_range[0] == v.steps_range[1]
                else f"{v.steps} ({v.steps_range[0]}-{v.steps_range[1]})"
            )
            default = " (default)" if v.default else ""
            bases = [base_variant_label(v.family, b) for b in v.base_variants]
            family = " / ".join(bases) or family_label(v.family)
            shift = "—" if v.shift is None else f"{v.shift:g}"
            size = "no file" if v.recipe_only else " + ".join(f"{f.size / 1e6:.0f}" for f in v.files)
            strength = "—" if v.recipe_only else f"{v.strength:g}"
            rows.append(
                f"| {name} | `{v.id}`{default} | {family} | {steps} | {v.cfg:g} "
                f"| {strength} | {_names(v.samplers, SAMPLERS)} | {_names(v.schedules, SCHEDULES)} | {shift} "
                f"| {v.negative_prompt} | {size} | {licence} |"
            )
    return "\n".join(rows)


def rewrite(readme: Path, catalog: Catalog) -> bool:
    """Put the current table between the markers; return True when the file changed."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{readme} has no {START} ... {END} markers")
    updated = pattern.sub(lambda _m: f"{START}\n{markdown(catalog)}\n{END}", text)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text
