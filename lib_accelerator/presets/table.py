"""The README's method table, made from the presets so that it cannot drift from them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lib_accelerator.families import family_label
from lib_accelerator.names import SAMPLERS, SCHEDULES
from lib_accelerator.presets.catalog import Catalog

START, END = "<!-- methods:start -->", "<!-- methods:end -->"


def _names(ids: tuple[str, ...], table: Mapping[str, str]) -> str:
    shown = [table[i] for i in ids]
    return shown[0] + (f" (else {', '.join(shown[1:])})" if len(shown) > 1 else "")


def markdown(catalog: Catalog) -> str:
    columns = ("method", "variant", "family", "steps", "CFG", "strength", "sampler", "schedule type",
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
            rows.append(
                f"| {name} | `{v.id}`{default} | {family_label(v.family)} | {steps} | {v.cfg:g} "
                f"| {v.strength:g} | {_names(v.samplers, SAMPLERS)} | {_names(v.schedules, SCHEDULES)} "
                f"| {v.negative_prompt} | {v.file.size / 1e6:.0f} | {licence} |"
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
