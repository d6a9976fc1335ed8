"""Which bytes a variant uses: a file pinned on the Hugging Face Hub, or one the user already has.

Kept apart from the catalogue because downloads, verification and the LoRA folder need only this, not presets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoraFile:
    """One LoRA file on the Hugging Face Hub, pinned so that exactly these bytes are used.

    A user recipe may instead name a file the user already keeps in the LoRA folder: `local` is then its
    path relative to that folder, nothing is downloaded, and `sha256` (optional, "" when not given) and
    `size` (0: unknown) describe it only as far as the recipe says.
    """

    repo_id: str
    filename: str
    revision: str
    sha256: str
    size: int
    save_as: str
    local: str = ""
    # Which part of a multi-file variant this is ("high_noise" / "low_noise" for Wan 2.2's two experts), "" alone.
    role: str = ""
    # True: `revision` is a branch, because only the file's sha256 and size are public, not the commit that
    # added it. The download still accepts exactly the pinned sha256, so a changed branch fails loudly.
    on_branch: bool = False

    @property
    def stem(self) -> str:
        """The name the WebUI knows the file by, and the one that goes into `<lora:STEM:…>`."""
        return self.save_as.removesuffix(".safetensors")

    @property
    def is_local(self) -> bool:
        return bool(self.local)

    @property
    def is_none(self) -> bool:
        """The placeholder of a variant without a file (a checkpoint that is distilled itself)."""
        return not (self.local or self.repo_id)

    @property
    def url(self) -> str:
        if self.is_local:
            return ""
        return f"https://huggingface.co/{self.repo_id}/resolve/{self.revision}/{self.filename}"


# `Variant.file` of a recipe-only variant: typed like a file so that code written for one file keeps working,
# but it is never downloaded (`Variant.files` is empty) and its stem is "" (no `<lora:…>` tag).
NO_FILE = LoraFile(repo_id="", filename="", revision="", sha256="", size=0, save_as="")


def local_lora_file(relative: str, sha256: str = "") -> LoraFile:
    """A LoraFile for a file already in the LoRA folder (`relative` uses `/` separators)."""
    return LoraFile(
        repo_id="",
        filename=relative,
        revision="",
        sha256=sha256,
        size=0,
        save_as=relative.rsplit("/", 1)[-1],
        local=relative,
    )
