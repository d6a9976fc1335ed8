"""Between "the file is on disk" and "the tag goes into the prompt": refuse a LoRA made for another model
family, and give the WebUI a kohya-named copy of a file whose key layout its loader would silently skip.

The converted copy sits next to the original as `<stem>-kohya.safetensors`, is made once and reused
while the original is unchanged, and its stem is what the `<lora:…>` tag then names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from lib_accelerator.lora.convert import CONVERTED_FROM_KEY, LoraConversionError, convert_to_kohya
from lib_accelerator.lora.inspection import LoraInspection, SafetensorsHeaderError, inspect_lora, read_header

CONVERTED_SUFFIX = "-kohya"


class LoraFamilyError(ValueError):
    """The LoRA's keys belong to another model family than the loaded model."""


@dataclass(frozen=True)
class PreparedLora:
    path: Path
    converted: bool = False
    created: bool = False
    note: str = ""


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
        convert_to_kohya(path, target, family=preset_family)
    note = f"{path.name} has {layout} keys that this WebUI would ignore; the converted copy {target.name} is used"
    return PreparedLora(target, converted=True, created=created, note=note)


__all__ = ["LoraConversionError", "LoraFamilyError", "PreparedLora", "SafetensorsHeaderError", "inspection", "prepare"]
