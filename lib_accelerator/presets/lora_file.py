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

    @property
    def stem(self) -> str:
        """The name the WebUI knows the file by, and the one that goes into `<lora:STEM:…>`."""
        return self.save_as[: -len(".safetensors")]

    @property
    def is_local(self) -> bool:
        return bool(self.local)

    @property
    def url(self) -> str:
        if self.is_local:
            return ""
        return f"https://huggingface.co/{self.repo_id}/resolve/{self.revision}/{self.filename}"


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
