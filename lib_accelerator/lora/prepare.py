"""Between "the file is on disk" and "the tag goes into the prompt": refuse a LoRA made for another model
family, and give the WebUI a kohya-named copy of a file whose key layout its loader would silently skip.

The converted copy sits next to the original as `<stem>-kohya.safetensors`, is made once and reused
while the original is unchanged, and its stem is what the `<lora:…>` tag then names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from lib_accelerator.lora.convert import CONVERTED_FROM_KEY, LoraConversionError, convert_to_kohya, kohya_names
from lib_accelerator.lora.inspection import LoraInspection, SafetensorsHeaderError, inspect_lora, read_header

CONVERTED_SUFFIX = "-kohya"
# A broken file can leave hundreds of keys out; the console line names the first reasons and counts the rest.
NOTES_SHOWN = 3


class LoraFamilyError(ValueError):
    """The LoRA's keys belong to another model family than the loaded model."""


@dataclass(frozen=True)
class PreparedLora:
    """`note`: one line for the console when the tag names a converted copy, including why keys were left
    out of it (`left_out`, one reason per entry, as the conversion gave them)."""

    path: Path
    converted: bool = False
    created: bool = False
    note: str = ""
    left_out: tuple[str, ...] = ()


@functools.lru_cache(maxsize=64)
def _inspect(path: str, size: int, mtime_ns: int) -> LoraInspection:
    return inspect_lora(path)


def inspection(path: Path) -> LoraInspection:
    """Header facts about a file, read once per (path, size, mtime): generations reuse them."""
    stat = path.stat()
    return _inspect(str(path), stat.st_size, stat.st_mtime_ns)


def _up_to_date(converted: Path, marker: str, source: Path) -> bool:
    try:
        header = read_header(converted)
    except (OSError, SafetensorsHeaderError):
        return False
    same_origin = header.metadata.get(CONVERTED_FROM_KEY) == marker
    return same_origin and converted.stat().st_mtime_ns >= source.stat().st_mtime_ns


def prepare(path: Path, *, host: str, model_family: str | None, preset_family: str | None) -> PreparedLora:
    """Raise LoraFamilyError for a file of another family; return the path the tag should name."""
    found = inspection(path)
    mismatch = found.mismatch_message(model_family)
    if mismatch:
        raise LoraFamilyError(f"Accelerator: {path.name}: {mismatch}")
    if not found.needs_conversion(host):
        return PreparedLora(path)
    layout = found.keys.key_format.value
    target = path.with_name(f"{path.stem}{CONVERTED_SUFFIX}.safetensors")
    marker = f"{layout}: {path.name}"
    created = not _up_to_date(target, marker, path)
    if created:
        left_out = convert_to_kohya(path, target, family=preset_family).notes
    else:
        # The copy on disk was made by the same renaming; say again what it lacks, every generation alike.
        left_out = kohya_names(found.header, preset_family).notes
    note = f"{path.name} has {layout} keys that this WebUI would ignore; the converted copy {target.name} is used"
    if left_out:
        more = len(left_out) - NOTES_SHOWN
        note += f"; left out of it: {'; '.join(left_out[:NOTES_SHOWN])}" + (f" (and {more} more)" if more > 0 else "")
    return PreparedLora(target, converted=True, created=created, note=note, left_out=left_out)


__all__ = ["LoraConversionError", "LoraFamilyError", "PreparedLora", "SafetensorsHeaderError", "inspection", "prepare"]
