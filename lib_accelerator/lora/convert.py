"""Rename dotted diffusers / PEFT LoRA keys to the kohya names that A1111 and Forge both load.

Only names change, so the payload is streamed byte for byte and no tensor library is needed. Examples:
`unet.down_blocks.0.attentions.0.proj_in.lora.down.weight`
-> `lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight`,
`unet.….attn1.processor.to_out_lora.up.weight` -> `lora_unet_…_attn1_to_out_0.lora_up.weight`,
`text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight`
-> `lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight` (`lora_te1_` for SDXL).

Scale: both loaders use alpha / rank when a module has an `alpha` tensor and 1.0 when it has none (A1111
`extensions-builtin/Lora/network.py:NetworkModule.calc_scale`; Forge `backend/patcher/lora.py:merge_lora_to_weight`).
PEFT scales by lora_alpha / r, and diffusers files usually carry neither (lora_alpha == r, scale 1), so no alpha
is written then. When diffusers stored its adapter config (metadata `lora_adapter_metadata`) with
lora_alpha != r, an explicit alpha = scale * rank is appended so the strength stays what the authors trained.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lib_accelerator.atomic_write import atomic_write
from lib_accelerator.families import SDXL
from lib_accelerator.lora.family import detect_family
from lib_accelerator.lora.header import (
    METADATA_KEY,
    SafetensorsHeader,
    TensorInfo,
    encode_header,
    read_header,
    tensor_entry,
)
from lib_accelerator.lora.keys import KeyFormat, ParsedKey, classify_keys, parse_key

CONVERTED_FROM_KEY = "accelerator_converted_from"
ADAPTER_METADATA_KEY = "lora_adapter_metadata"  # where diffusers keeps the PEFT LoraConfig of each component
_ROLE_SUFFIX = {"down": "lora_down.weight", "up": "lora_up.weight", "mid": "lora_mid.weight", "alpha": "alpha"}
# Old diffusers attention processors named the text encoder's projections like the UNet's.
_TE_OLD_PROJ = {"to_q": "q_proj", "to_k": "k_proj", "to_v": "v_proj", "to_out": "out_proj"}
_PEFT_COMPONENT = {"unet": "unet", "te": "text_encoder", "te1": "text_encoder", "te2": "text_encoder_2"}
_CHUNK = 1 << 20


class LoraConversionError(ValueError):
    """The file cannot be converted; the message names it and says why."""


@dataclass(frozen=True)
class NameMapping:
    mapping: Mapping[str, str]  # source key -> kohya key, for every tensor that is kept
    unmapped: tuple[str, ...]  # source keys left out of the converted file
    notes: tuple[str, ...]  # why keys were left out, one line per reason


@dataclass(frozen=True)
class ConversionResult:
    src: Path
    dst: Path
    source_format: KeyFormat
    family: str | None
    kept: int  # tensors written
    renamed: int  # of those, how many changed name
    added_alphas: int  # alpha tensors added from the PEFT adapter config
    unmapped: tuple[str, ...]
    notes: tuple[str, ...]


def _unet_module(module: str) -> str:
    parts = [p for p in module.split(".") if p != "processor"]
    if parts[-1] == "to_out":  # attention processors dropped the ModuleList index of to_out.0
        parts.append("0")
    return "_".join(parts)


def _te_module(module: str) -> str:
    parts = [p for p in module.split(".") if p != "processor"]
    parts[-1] = _TE_OLD_PROJ.get(parts[-1], parts[-1])
    return "_".join(parts)


def kohya_module(parsed: ParsedKey, sdxl: bool) -> str | None:
    """The kohya module name for a parsed key, or None when A1111 has no kohya spelling for it."""
    if parsed.pattern in ("kohya", "kohya_lora_ab"):
        return None if parsed.component == "transformer" else parsed.module
    if parsed.component == "unet":
        return "lora_unet_" + _unet_module(parsed.module)
    if parsed.component in ("te", "te1"):
        return ("lora_te1_" if sdxl else "lora_te_") + _te_module(parsed.module)
    if parsed.component == "te2":
        return "lora_te2_" + _te_module(parsed.module)
    if parsed.component == "compvis":
        return "lora_unet_" + parsed.module.replace(".", "_")
    return None


def kohya_name(key: str, sdxl: bool = False) -> str | None:
    """The kohya spelling of one tensor name; kohya names come back unchanged, LyCORIS weights included."""
    parsed = parse_key(key)
    module = kohya_module(parsed, sdxl)
    if module is None:
        return None
    if parsed.pattern == "kohya":
        return key
    suffix = _ROLE_SUFFIX.get(parsed.role)
    return None if suffix is None else f"{module}.{suffix}"


def _incomplete(roles: set[str]) -> bool:
    """A1111 raises for a module whose weights no module type accepts, failing the whole LoRA."""
    lora_roles = roles & {"down", "up", "mid"}
    if lora_roles:
        return not {"down", "up"} <= roles
    return roles == {"alpha"}


def rename_keys(names: Iterable[str], sdxl: bool) -> NameMapping:
    mapping: dict[str, str] = {}
    targets: set[str] = set()
    no_spelling: list[str] = []
    notes: list[str] = []
    groups: dict[str, dict[str, str]] = defaultdict(dict)  # kohya module -> {source key: role}
    for key in names:
        target = kohya_name(key, sdxl)
        if target is None:
            no_spelling.append(key)
        elif target in targets:
            notes.append(f"{key}: another key already converts to {target}")
        else:
            mapping[key] = target
            targets.add(target)
            groups[target.partition(".")[0]][key] = parse_key(key).role
    unmapped = no_spelling + [note.partition(": ")[0] for note in notes]
    if no_spelling:
        notes.insert(0, f"{len(no_spelling)} keys have no kohya spelling, e.g. {no_spelling[0]}")
    for module, members in groups.items():
        if _incomplete(set(members.values())):
            for key in members:
                del mapping[key]
                unmapped.append(key)
            notes.append(f"{module}: has {'/'.join(sorted(set(members.values())))} but not both down and up")
    return NameMapping(mapping, tuple(unmapped), tuple(notes))


def _adapter_configs(header: SafetensorsHeader) -> dict[str, Mapping[str, object]]:
    """PEFT LoraConfig per component ("unet", "te", …) from diffusers' metadata, when the file has one."""
    raw = header.metadata.get(ADAPTER_METADATA_KEY)
    if raw is None:
        return {}
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LoraConversionError(f"{header.path}: metadata {ADAPTER_METADATA_KEY} is not JSON ({exc})") from exc
    if not isinstance(config, dict):
        raise LoraConversionError(f"{header.path}: metadata {ADAPTER_METADATA_KEY} is not a JSON object")
    configs: dict[str, Mapping[str, object]] = {}
    for component, name in _PEFT_COMPONENT.items():
        prefix = name + "."
        scoped = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
        configs[component] = scoped or config  # unprefixed: one config for the only component saved
    return configs


def _lora_alpha(config: Mapping[str, object], module: str) -> float | None:
    patterns = config.get("alpha_pattern")
    if isinstance(patterns, dict):
        for pattern, value in patterns.items():
            # PEFT matches these as regular expressions against the end of the module path.
            if re.fullmatch(rf"(?:.*\.)?(?:{pattern})", module) and isinstance(value, (int, float)):
                return float(value)
    value = config.get("lora_alpha")
    return float(value) if isinstance(value, (int, float)) else None


def _peft_scale(config: Mapping[str, object], module: str, rank: int) -> float | None:
    lora_alpha = _lora_alpha(config, module)
    if lora_alpha is None or rank == 0:
        return None
    return lora_alpha / (math.sqrt(rank) if config.get("use_rslora") is True else rank)


def metadata_alphas(header: SafetensorsHeader, names: NameMapping) -> dict[str, float]:
    """Alpha tensors (kohya name -> value) that keep PEFT's lora_alpha / r scale where it is not 1."""
    configs = _adapter_configs(header)
    alphas: dict[str, float] = {}
    has_alpha = {target.partition(".")[0] for target in names.mapping.values() if target.endswith(".alpha")}
    for key, target in names.mapping.items():
        parsed, module = parse_key(key), target.partition(".")[0]
        config = configs.get(parsed.component)
        if parsed.role != "down" or parsed.pattern.startswith("kohya") or module in has_alpha or not config:
            continue
        rank = header.tensors[key].shape[0] if header.tensors[key].shape else 0
        try:
            scale = _peft_scale(config, parsed.module, rank)
        except re.error as exc:
            raise LoraConversionError(f"{header.path}: bad alpha_pattern in {ADAPTER_METADATA_KEY} ({exc})") from exc
        if scale is not None and not math.isclose(scale, 1.0):
            alphas[f"{module}.alpha"] = scale * rank
    return alphas


def _copy_range(src: BinaryIO, dst: BinaryIO, start: int, size: int) -> None:
    src.seek(start)
    while size > 0:
        chunk = src.read(min(size, _CHUNK))
        if not chunk:
            raise LoraConversionError(f"{src.name}: file ended while copying tensor data")
        dst.write(chunk)
        size -= len(chunk)


def _layout(
    header: SafetensorsHeader, names: NameMapping, alphas: Mapping[str, float], note: str
) -> tuple[list[TensorInfo], bytes]:
    kept = sorted((header.tensors[k] for k in names.mapping), key=lambda t: t.data_offsets)
    entries: dict[str, object] = {METADATA_KEY: {**header.metadata, CONVERTED_FROM_KEY: note}}
    offset = 0
    for info in kept:
        entries[names.mapping[info.name]] = tensor_entry(info.dtype, info.shape, (offset, offset + info.nbytes))
        offset += info.nbytes
    for name in alphas:
        entries[name] = tensor_entry("F32", (), (offset, offset + 4))
        offset += 4
    return kept, encode_header(entries)


def _write(header: SafetensorsHeader, dst: Path, names: NameMapping, alphas: Mapping[str, float], note: str) -> None:
    kept, header_bytes = _layout(header, names, alphas, note)
    # The WebUI lists *.safetensors in its LoRA folder, so the partial file must not end in that suffix;
    # read_header on it first: never publish a file that the loaders would reject.
    with (
        atomic_write(dst, suffix=".converting", durable=True, check=read_header) as out,
        header.path.open("rb") as src,
    ):
        out.write(header_bytes)
        for info in kept:
            _copy_range(src, out, header.payload_offset + info.data_offsets[0], info.nbytes)
        for value in alphas.values():
            out.write(struct.pack("<f", value))


def kohya_names(header: SafetensorsHeader, family: str | None = None) -> NameMapping:
    """How `convert_to_kohya` renames this file's keys, and why it leaves some out; reads no tensor data, so a
    caller that reuses an earlier conversion can still tell the user what that conversion dropped."""
    family = family or detect_family(header).family
    sdxl = family == SDXL or any(parse_key(k).component == "te2" for k in header.names)
    return rename_keys(header.names, sdxl)


def convert_to_kohya(src: Path, dst: Path, *, family: str | None = None) -> ConversionResult:
    """Write `dst` with kohya key names; `dst` may equal `src`. Raises LoraConversionError if nothing maps.

    `family` (the preset's family) overrides detection; it matters only for a text-encoder-only file, where
    SDXL's first encoder needs `lora_te1_` and the keys alone cannot tell SDXL from SD 1.5.
    """
    header = read_header(src)
    report = classify_keys(header.names)
    family = family or detect_family(header).family
    names = kohya_names(header, family)
    if not names.mapping:
        raise LoraConversionError(
            f"{src}: no key could be converted to kohya form ({report.describe()}); "
            f"e.g. {', '.join(header.names[:3]) or 'the file has no tensors'}"
        )
    alphas = metadata_alphas(header, names)
    _write(header, Path(dst), names, alphas, f"{report.key_format.value}: {Path(src).name}")
    renamed = sum(1 for k, v in names.mapping.items() if k != v)
    return ConversionResult(
        Path(src), Path(dst), report.key_format, family, len(names.mapping), renamed, len(alphas),
        names.unmapped, names.notes,
    )  # fmt: skip
