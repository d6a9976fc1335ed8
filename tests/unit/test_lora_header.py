import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from lib_accelerator.lora.header import (
    MAX_HEADER_LENGTH,
    SafetensorsHeaderError,
    encode_header,
    read_header,
)


def _raw_file(path: Path, header: object, payload: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + payload)
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.safetensors"
    save_file(
        {"a.lora_down.weight": np.zeros((4, 8), np.float16), "a.alpha": np.array(4.0, np.float32)},
        str(path),
        metadata={"ss_network_dim": "4"},
    )
    return path


def test_read_header_lists_names_dtypes_shapes_offsets_and_metadata(sample: Path) -> None:
    header = read_header(sample)
    assert set(header.names) == {"a.lora_down.weight", "a.alpha"}
    down = header.tensors["a.lora_down.weight"]
    assert (down.dtype, down.shape, down.nbytes) == ("F16", (4, 8), 64)
    assert header.tensors["a.alpha"].shape == ()
    assert header.metadata == {"ss_network_dim": "4"}
    (length,) = struct.unpack("<Q", sample.read_bytes()[:8])
    assert header.header_length == length
    assert header.payload_offset == 8 + length
    assert header.payload_size == 64 + 4 == header.file_size - header.payload_offset


def test_read_header_never_reads_the_payload(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    consumed: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        handle = real_open(self, *args, **kwargs)  # type: ignore[call-overload]
        real_read = handle.read

        def read(size: int = -1) -> bytes:
            assert size >= 0, "an unbounded read would load the whole payload"
            data: bytes = real_read(size)
            consumed.append(len(data))
            return data

        handle.read = read
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    header = read_header(sample)
    assert sum(consumed) == header.payload_offset


def test_metadata_is_optional(tmp_path: Path) -> None:
    path = tmp_path / "bare.safetensors"
    save_file({"x": np.ones(2, np.float32)}, str(path))
    assert read_header(path).metadata == {}


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "truncated or not a safetensors file (0 bytes)"),
        (b"\x01\x02\x03", "truncated or not a safetensors file (3 bytes)"),
        (struct.pack("<Q", MAX_HEADER_LENGTH + 1) + b"{}", "exceeds"),
        (struct.pack("<Q", 2**63) + b"{}", "exceeds"),
        (struct.pack("<Q", 500) + b'{"a": 1}', "truncated: header needs 500 bytes but only 8 follow"),
        (b"PK\x03\x04" + b"\x00" * 4 + b"zip archive", "not a safetensors file (it starts with b'PK\\x03\\x04"),
        (b"version https://git-lfs.github.com/spec/v1\n", "not a safetensors file (it starts with b'version '"),
        (b"<!DOCTYPE html><html>", "not a safetensors file (it starts with b'<!DOCTYP"),
        (struct.pack("<Q", 4) + b"\x00\x00\x00\x00", "not a JSON object"),
        (struct.pack("<Q", 6) + b"{nope}", "not valid JSON"),
        (struct.pack("<Q", 4) + b"\xff{\xfe}", "not a JSON object"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    ],
)
def test_garbage_and_truncated_files_are_refused_with_the_file_name(
    tmp_path: Path, content: bytes, phrase: str
) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(content)
    with pytest.raises(SafetensorsHeaderError) as info:
        read_header(path)
    assert str(path) in str(info.value)
    assert phrase in str(info.value)
    assert info.value.path == path


def test_a_file_cut_inside_the_payload_is_truncated(sample: Path) -> None:
    sample.write_bytes(sample.read_bytes()[:-10])
    with pytest.raises(SafetensorsHeaderError, match=r"truncated: tensor .* ends at payload byte"):
        read_header(sample)


def test_a_file_cut_inside_the_header_is_truncated(sample: Path) -> None:
    sample.write_bytes(sample.read_bytes()[:40])
    with pytest.raises(SafetensorsHeaderError, match="truncated: header needs"):
        read_header(sample)


@pytest.mark.parametrize(
    ("header", "payload", "phrase"),
    [
        ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, "do not hold a F32 tensor"),
        ({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, "shape must be"),
        ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [4]}}, b"\0" * 4, "data_offsets must be"),
        ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4, "end before they begin"),
        ({"t": {"shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "missing dtype"),
        ({"t": [1, 2]}, b"", "entry is not an object"),
        ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "starts at 4, expected 0"),
        ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 6, "2 bytes after the last"),
        ({"__metadata__": {"a": 1}}, b"", "__metadata__ must map strings to strings"),
    ],
)
def test_inconsistent_headers_are_refused(tmp_path: Path, header: object, payload: bytes, phrase: str) -> None:
    path = _raw_file(tmp_path / "bad.safetensors", header, payload)
    with pytest.raises(SafetensorsHeaderError, match=phrase):
        read_header(path)


def test_unknown_dtypes_are_read_without_a_size_check(tmp_path: Path) -> None:
    path = _raw_file(tmp_path / "new.safetensors", {"t": {"dtype": "F3_FUTURE", "shape": [3], "data_offsets": [0, 2]}},
                     b"\0\0")  # fmt: skip
    assert read_header(path).tensors["t"].dtype == "F3_FUTURE"


def test_a_missing_file_raises_the_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_header(tmp_path / "absent.safetensors")


def test_encode_header_pads_to_eight_bytes_and_round_trips() -> None:
    entries = {"__metadata__": {"k": "v"}, "x": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}}
    raw = encode_header(entries)
    (length,) = struct.unpack("<Q", raw[:8])
    assert length % 8 == 0 and len(raw) == 8 + length
    assert json.loads(raw[8:]) == entries
