"""One ordered table ties each request field to its PNG-info label and its API argument name.

The UI's paste-back fields, the API's dict keys and what a generation writes into PNG info all come
from `FIELDS`, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib_accelerator.names import AUTOMATIC
from lib_accelerator.request import Request, from_mapping


@dataclass(frozen=True)
class Field:
    name: str  # Request attribute and API dict key
    label: str  # PNG info key
    # True: a number the variant's preset holds (pasting an image without this key gives the preset's value);
    # False: a name, where the panel's "Preset" choice stands for the variant's own.
    in_preset: bool = True


# The variant id doubles as "Accelerator was on": an image without this key was not accelerated.
VARIANT = Field("variant", "Accelerator", in_preset=False)
# What the user may change on top of the variant; the infotext lists only what was changed.
CHANGES: tuple[Field, ...] = (
    Field("strength", "Accelerator strength"),
    Field("steps", "Accelerator steps"),
    Field("cfg", "Accelerator CFG"),
    Field("sampler", "Accelerator sampler", in_preset=False),
    Field("schedule", "Accelerator schedule", in_preset=False),
)
# A user's change only; the variant's own shift comes from its preset (the variant id says it). PNG info and
# decoding use it already; it stays out of CHANGES / FIELDS / LABELS (what the panel's paste fields and the hosts'
# infotext clean-up read today) until the panel has a shift control: then ALL_* replace them.
SHIFT = Field("shift", "Accelerator shift")
ALL_CHANGES: tuple[Field, ...] = (*CHANGES, SHIFT)
FIELDS: tuple[Field, ...] = (VARIANT, *CHANGES)
ALL_FIELDS: tuple[Field, ...] = (VARIANT, *ALL_CHANGES)
LABELS: tuple[str, ...] = tuple(f.label for f in FIELDS)
ALL_LABELS: tuple[str, ...] = tuple(f.label for f in ALL_FIELDS)
ENABLED_LABEL = VARIANT.label
# The user's own settings that the accelerated ones replaced, so that pasting the infotext back gives the
# main controls the user's settings (and turning the accordion off renders the final image as before).
BASE_LABEL = "Accelerator base"
_BASE_KEYS = (("steps", "Steps"), ("cfg", "CFG scale"), ("sampler", "Sampler"), ("schedule", "Schedule type"))


def encode(request: Request, variant_id: str) -> dict[str, str | int | float]:
    """The infotext entries for one accelerated generation: the variant and only what the user changed."""
    out: dict[str, str | int | float] = {ENABLED_LABEL: variant_id}
    for f in ALL_CHANGES:
        value = getattr(request, f.name)
        if value not in (None, ""):
            out[f.label] = value
    return out


def decode(params: Mapping[str, Any]) -> Request | None:
    """A Request from parsed infotext, or None when the image was not made with Accelerator."""
    variant = params.get(ENABLED_LABEL)
    if not variant:
        return None
    values: dict[str, Any] = {"enabled": True, "variant": str(variant)}
    for f in ALL_CHANGES:
        if f.label in params:
            values[f.name] = params[f.label]
    return from_mapping(values)


def encode_base(steps: int, cfg: float, sampler: str, schedule: str | None) -> str:
    """The user's own settings. A schedule left to the sampler (none given, or "Automatic") is not written:
    an API job has none until the WebUI fills it in, a UI job has "Automatic"; they are the same choice."""
    kept = "" if schedule in (None, AUTOMATIC) else str(schedule)
    values = {"steps": str(steps), "cfg": f"{cfg:g}", "sampler": sampler, "schedule": kept}
    return "|".join(f"{key}={values[key]}" for key, _ in _BASE_KEYS if values[key])


def decode_base(text: str) -> dict[str, str]:
    """`Accelerator base` back to the WebUI's own infotext keys (Steps, CFG scale, Sampler, Schedule type).

    A base without a schedule means "Automatic", which must still be said: the infotext's own
    "Schedule type" is the accelerated one. No base at all (not an accelerated image) gives nothing."""
    labels = dict(_BASE_KEYS)
    pairs = (item.partition("=") for item in str(text).split("|"))
    found = {labels[key]: value for key, _, value in pairs if key in labels and value}
    if found:
        found.setdefault("Schedule type", AUTOMATIC)
    return found
