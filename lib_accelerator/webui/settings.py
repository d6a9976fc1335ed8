"""Accelerator's section in Settings: one declarative table, every key prefixed `accelerator_`.

The Hugging Face token is the exception to "settings live in config.json": `/sdapi/v1/options` returns
every value of `opts.data`, so a token typed into Settings is moved into a private file at once and the
option itself is blanked again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gradio as gr
from modules import paths, shared

SECTION = ("accelerator", "Accelerator")
TOKEN_KEY = "accelerator_hf_token"
PRESETS_ENV = "ACCELERATOR_PRESETS_DIR"


def _token_file() -> Path:
    return Path(paths.data_path) / "accelerator" / "hf_token"


def _store_token() -> None:
    value = str(shared.opts.data.get(TOKEN_KEY) or "").strip()
    if not value:
        return
    path = _token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    shared.opts.data[TOKEN_KEY] = ""


def _options() -> dict[str, Any]:
    return {
        "accelerator_subfolder": shared.OptionInfo("accelerator", "Subfolder of the LoRA folder for downloaded files"),
        "accelerator_auto_download": shared.OptionInfo(
            True, "Download a method's LoRA on first use (off: only with the Download button or the CLI)"
        ),
        "accelerator_offline": shared.OptionInfo(
            False, "Offline mode: never contact the network; use only files already downloaded"
        ),
        "accelerator_hf_endpoint": shared.OptionInfo(
            "", "Hugging Face endpoint (mirror URL); empty uses HF_ENDPOINT or huggingface.co"
        ),
        TOKEN_KEY: shared.OptionInfo(
            "",
            "Hugging Face token for gated files (stored in a private file, never shown again)",
            gr.Textbox,
            {"type": "password"},
            onchange=_store_token,
            restrict_api=True,
        ),
        "accelerator_presets_dir": shared.OptionInfo(
            "", f"Folder with your own recipes (*.json); empty uses {PRESETS_ENV} or <data dir>/accelerator/presets"
        ),
        "accelerator_cfg1_fast_path": shared.OptionInfo(
            True,
            "At CFG 1, skip the unconditional pass that A1111 computes and throws away (same image, faster)",
        ),
    }


def register() -> None:
    for key, info in _options().items():
        info.section = SECTION
        shared.opts.add_option(key, info)


def get(key: str, default: Any) -> Any:
    return shared.opts.data.get(key, default)


def offline() -> bool:
    return bool(get("accelerator_offline", False) or getattr(shared.cmd_opts, "accelerator_offline", False))


def token() -> str | None:
    path = _token_file()
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def user_presets_dir() -> Path:
    configured = str(get("accelerator_presets_dir", "") or os.environ.get(PRESETS_ENV, "")).strip()
    if configured:
        return Path(configured).expanduser()
    return Path(paths.data_path) / "accelerator" / "presets"
