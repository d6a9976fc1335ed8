"""LoRA file inspection and conversion: the one import the rest of the extension needs.

Why this exists: the WebUI's LoRA loaders silently skip keys they cannot map (A1111 splits each key at its first
'.', so dotted diffusers/PEFT keys match nothing), the tag is accepted, "Lora hashes" lands in the infotext, and
the image is unchanged. So after a download the extension reads the header (no tensor data), converts the key
names to kohya form where the host needs it, and refuses a file whose keys belong to another model family.

Standard library only: the WebUI's torch is not imported here, so this runs in unit tests and the CLI as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lib_accelerator.lora.convert import (
    ConversionResult,
    LoraConversionError,
    NameMapping,
    convert_to_kohya,
    kohya_name,
    kohya_names,
    rename_keys,
)
from lib_accelerator.lora.family import FamilyGuess, detect_family, family_mismatch_message
from lib_accelerator.lora.header import SafetensorsHeader, SafetensorsHeaderError, TensorInfo, read_header
from lib_accelerator.lora.keys import (
    HOST_A1111,
    HOST_FORGE,
    KeyFormat,
    KeyFormatReport,
    ParsedKey,
    classify_keys,
    detect_key_format,
    needs_conversion,
    parse_key,
)

__all__ = [
    "HOST_A1111",
    "HOST_FORGE",
    "ConversionResult",
    "FamilyGuess",
    "KeyFormat",
    "KeyFormatReport",
    "LoraConversionError",
    "LoraInspection",
    "NameMapping",
    "ParsedKey",
    "SafetensorsHeader",
    "SafetensorsHeaderError",
    "TensorInfo",
    "classify_keys",
    "convert_to_kohya",
    "detect_family",
    "detect_key_format",
    "family_mismatch_message",
    "inspect_lora",
    "kohya_name",
    "kohya_names",
    "needs_conversion",
    "parse_key",
    "read_header",
    "rename_keys",
]


@dataclass(frozen=True)
class LoraInspection:
    header: SafetensorsHeader
    keys: KeyFormatReport
    family: FamilyGuess

    def needs_conversion(self, host: str) -> bool:
        return needs_conversion(self.keys.key_format, host)

    def mismatch_message(self, model_family: str | None) -> str | None:
        return family_mismatch_message(self.family, model_family)


def inspect_lora(path: Path | str) -> LoraInspection:
    header = read_header(path)
    return LoraInspection(header, classify_keys(header.names), detect_family(header))
