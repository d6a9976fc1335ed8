"""The `file` / `files` part of a preset variant: one pinned file, several (one per model part), or none.

* `"file": {...}`: one LoRA file, as every SD/SDXL/FLUX.1 preset has.
* `"files": [{..., "role": "high_noise"}, {..., "role": "low_noise"}]`: Wan 2.2 A14B runs two experts and
  each needs its own LoRA. The first file is the primary one (it goes into the `<lora:…>` tag); Forge Neo
  swaps `high_noise` for `low_noise` in LoRA names when it switches to the second expert (a plain substring
  replace, option `refiner_lora_replacement`, notes/forge-neo.md §5), so the two `save_as` names must be
  exactly such twins.
* `"file": null`: a recipe for a checkpoint that is distilled itself (Z-Image-Turbo, FLUX.2 Klein): settings
  only, nothing to download, no tag.

A file is pinned to a 40-hex commit. Where only its sha256 and exact size are public (the commit that added it
is not), it may name a branch with `"on_branch": true`: the download accepts exactly that sha256 and size.
"""

from __future__ import annotations

import re
from typing import Any

from lib_accelerator.presets.lora_file import NO_FILE, LoraFile, local_lora_file
from lib_accelerator.presets.reader import PresetError, Reader

HEX40 = re.compile(r"^[0-9a-f]{40}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# A branch name, never something that looks like a (short) commit id: a pinned file must say which it is.
_BRANCH = re.compile(r"^(?![0-9a-f]{7,40}$)[A-Za-z0-9][A-Za-z0-9._-]*$")
# The WebUI finds a LoRA by file stem and parses tags with `<(\w+):([^>]+)>` split on ':'.
SAVE_AS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.safetensors$")
# A file the user already has: the WebUI's tag parser stops at ':' and '>'.
_LOCAL_NAME = re.compile(r"^[^:<>/\\]+\.safetensors$")
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
HIGH_NOISE, LOW_NOISE = "high_noise", "low_noise"
ROLES = (HIGH_NOISE, LOW_NOISE)


def _parse_local_file(reader: Reader) -> LoraFile:
    relative = reader.text("local")
    parts = relative.split("/")
    if "\\" in relative or relative.startswith("/") or ":" in parts[0] or any(p in ("", ".", "..") for p in parts):
        raise reader.fail("local", f"{relative!r} must be a relative path inside the LoRA folder, with / separators")
    if not _LOCAL_NAME.match(parts[-1]):
        raise reader.fail("local", f"{parts[-1]!r} must be a *.safetensors name without ':', '<' or '>'")
    sha256 = reader.text("sha256", HEX64) if "sha256" in reader.data else ""
    return local_lora_file(relative, sha256)


def _revision(reader: Reader) -> tuple[str, bool]:
    on_branch = bool(reader.get("on_branch", bool, False))
    if not on_branch:
        return reader.text("revision", HEX40), False
    revision = reader.text("revision")
    if not _BRANCH.match(revision):
        raise reader.fail("revision", f"{revision!r} is not a branch name (on_branch is true)")
    return revision, True


def parse_file(reader: Reader, role: str = "") -> LoraFile:
    if "local" in reader.data:
        return _parse_local_file(reader)
    size = reader.get("size", int)
    if size <= 0:
        raise reader.fail("size", "must be a positive number of bytes")
    revision, on_branch = _revision(reader)
    return LoraFile(
        repo_id=reader.text("repo_id", _REPO),
        filename=reader.text("filename"),
        revision=revision,
        sha256=reader.text("sha256", HEX64),
        size=size,
        save_as=reader.text("save_as", SAVE_AS),
        role=role,
        on_branch=on_branch,
    )


def _parse_expert_files(reader: Reader) -> tuple[LoraFile, ...]:
    items = reader.get("files", list)
    if len(items) != len(ROLES):
        raise reader.fail("files", f"must list {len(ROLES)} files, one per role ({', '.join(ROLES)})")
    files = []
    for i, item in enumerate(items):
        child = Reader(reader.source, item, f"{reader.path}.files[{i}]")
        role = child.text("role")
        if role != ROLES[i]:
            raise child.fail("role", f"is {role!r}; the files are listed in the order {', '.join(ROLES)}")
        file = parse_file(child, role)
        if file.is_local:
            raise child.fail("local", "a file of a multi-file variant must be a pinned download")
        files.append(file)
    high, low = files
    twin = high.save_as.replace(HIGH_NOISE, LOW_NOISE)
    if HIGH_NOISE not in high.save_as or low.save_as != twin:
        raise PresetError(
            reader.source,
            f"{reader.path}.files[1].save_as",
            f"must be {twin!r}: the first file's save_as with '{HIGH_NOISE}' replaced by '{LOW_NOISE}' "
            "(Forge Neo finds the second expert's LoRA by that replacement)",
        )
    return tuple(files)


def parse_variant_files(reader: Reader) -> tuple[LoraFile, tuple[LoraFile, ...]]:
    """The variant's primary file and all of its files (both NO_FILE and () for a recipe-only variant)."""
    if "files" in reader.data:
        if "file" in reader.data:
            raise reader.fail("file", "give either file or files, not both")
        files = _parse_expert_files(reader)
        return files[0], files
    if reader.data.get("file", ...) is None:
        return NO_FILE, ()
    file = parse_file(reader.child("file"))
    return file, (file,)


def file_data(file: LoraFile) -> dict[str, Any]:
    """The `file` object of a preset for this LoraFile (the inverse of `parse_file`)."""
    if file.is_local:
        return {"local": file.local, **({"sha256": file.sha256} if file.sha256 else {})}
    data: dict[str, Any] = {"role": file.role} if file.role else {}
    data.update(repo_id=file.repo_id, filename=file.filename, revision=file.revision, sha256=file.sha256)
    data.update(size=file.size, save_as=file.save_as, **({"on_branch": True} if file.on_branch else {}))
    return data


def variant_files_data(files: tuple[LoraFile, ...], replacement: LoraFile | None = None) -> dict[str, Any]:
    """`file` / `files` of a variant made from one with `files`: a recipe keeps its base's two expert files or
    its "no file", unless the user names a file of their own (`replacement`)."""
    if replacement is not None:
        return {"file": file_data(replacement)}
    if len(files) > 1:
        return {"files": [file_data(f) for f in files]}
    return {"file": file_data(files[0]) if files else None}
