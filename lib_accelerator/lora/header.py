"""Read and write the header of a safetensors file with the standard library only.

Layout: 8 bytes little-endian header length N, N bytes of JSON (`name -> {dtype, shape, data_offsets}` plus an
optional `__metadata__` string map), then the payload. Offsets are relative to the payload start. The payload is
never read here: a LoRA can be several hundred MB and inspection must stay instant.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# The reference implementation refuses larger headers; a bigger length means garbage, not a huge file.
MAX_HEADER_LENGTH = 100_000_000
METADATA_KEY = "__metadata__"

# Bits per element. Sub-byte dtypes are listed so that their sizes can still be checked.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip


class SafetensorsHeaderError(ValueError):
    """The file is not a readable safetensors file; the message names the file and what is wrong."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]
    data_offsets: tuple[int, int]

    @property
    def nbytes(self) -> int:
        return self.data_offsets[1] - self.data_offsets[0]


@dataclass(frozen=True)
class SafetensorsHeader:
    path: Path
    header_length: int
    file_size: int
    tensors: Mapping[str, TensorInfo]  # in the order the header lists them
    metadata: Mapping[str, str]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.tensors)

    @property
    def payload_offset(self) -> int:
        return 8 + self.header_length

    @property
    def payload_size(self) -> int:
        return self.file_size - self.payload_offset


def read_header(path: Path | str) -> SafetensorsHeader:
    """Parse and validate the header of `path`. OSError (missing file, no permission) propagates unchanged."""
    path = Path(path)
    with path.open("rb") as f:
        file_size = os.fstat(f.fileno()).st_size
        length, raw = _read_raw_header(path, f, file_size)
    tree = _decode_json(path, raw)
    metadata = _parse_metadata(path, tree.pop(METADATA_KEY, None))
    tensors = {name: _parse_tensor(path, name, entry) for name, entry in tree.items()}
    _check_layout(path, tensors, file_size - 8 - length)
    return SafetensorsHeader(path, length, file_size, tensors, metadata)


def _read_raw_header(path: Path, f: BinaryIO, file_size: int) -> tuple[int, bytes]:
    prefix = f.read(8)
    if len(prefix) < 8:
        raise SafetensorsHeaderError(path, f"truncated or not a safetensors file ({file_size} bytes)")
    (length,) = struct.unpack("<Q", prefix)
    # An HTML error page, a Git LFS pointer or a pickle archive fails here; its first bytes say which.
    not_safetensors = f"not a safetensors file (it starts with {prefix!r})"
    if length > MAX_HEADER_LENGTH:
        raise SafetensorsHeaderError(path, f"{not_safetensors}: header length {length} exceeds {MAX_HEADER_LENGTH}")
    if length > file_size - 8:
        if f.read(1) not in (b"{", b""):
            raise SafetensorsHeaderError(path, not_safetensors)
        raise SafetensorsHeaderError(path, f"truncated: header needs {length} bytes but only {file_size - 8} follow")
    return length, f.read(length)


def _decode_json(path: Path, raw: bytes) -> dict[str, object]:
    if not raw.lstrip().startswith(b"{"):
        raise SafetensorsHeaderError(path, "not a safetensors file: the header is not a JSON object")
    try:
        tree = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsHeaderError(path, f"not a safetensors file: header is not valid JSON ({exc})") from exc
    if not isinstance(tree, dict):
        raise SafetensorsHeaderError(path, "not a safetensors file: the header is not a JSON object")
    return tree


def _parse_metadata(path: Path, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise SafetensorsHeaderError(path, f"{METADATA_KEY} must map strings to strings")
    return dict(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_tensor(path: Path, name: str, entry: object) -> TensorInfo:
    if not isinstance(entry, dict):
        raise SafetensorsHeaderError(path, f"tensor {name!r}: entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str):
        raise SafetensorsHeaderError(path, f"tensor {name!r}: missing dtype")
    if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
        raise SafetensorsHeaderError(path, f"tensor {name!r}: shape must be a list of non-negative integers")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise SafetensorsHeaderError(path, f"tensor {name!r}: data_offsets must be two non-negative integers")
    begin, end = offsets
    if end < begin:
        raise SafetensorsHeaderError(path, f"tensor {name!r}: data_offsets end before they begin")
    bits = DTYPE_BITS.get(dtype)
    if bits is not None and math.ceil(math.prod(shape) * bits / 8) != end - begin:
        raise SafetensorsHeaderError(
            path, f"tensor {name!r}: {end - begin} bytes do not hold a {dtype} tensor of shape {shape}"
        )
    return TensorInfo(name, dtype, tuple(shape), (begin, end))


def _check_layout(path: Path, tensors: Mapping[str, TensorInfo], payload_size: int) -> None:
    """Loaders reject holes and overlaps, so a file with them is as unusable as a truncated one."""
    position = 0
    for info in sorted(tensors.values(), key=lambda t: t.data_offsets):
        begin, end = info.data_offsets
        if end > payload_size:
            raise SafetensorsHeaderError(
                path, f"truncated: tensor {info.name!r} ends at payload byte {end}, payload has {payload_size}"
            )
        if begin != position:
            raise SafetensorsHeaderError(path, f"corrupt: tensor {info.name!r} starts at {begin}, expected {position}")
        position = end
    if position != payload_size:
        raise SafetensorsHeaderError(path, f"corrupt: {payload_size - position} bytes after the last tensor")


def encode_header(entries: Mapping[str, object]) -> bytes:
    """The length prefix and JSON for `entries`, padded with spaces to 8 bytes as the reference writer does."""
    raw = json.dumps(entries, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def tensor_entry(dtype: str, shape: tuple[int, ...], offsets: tuple[int, int]) -> dict[str, object]:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}
