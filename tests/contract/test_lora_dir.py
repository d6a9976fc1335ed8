"""Where Accelerator puts a LoRA, and whether the WebUI's own Lora extension then knows it by its stem.

The `<lora:NAME:…>` tag only works if the built-in Lora extension lists the file under NAME; Accelerator
saves to `<lora dir>/<subfolder>/NAME.safetensors` and calls `host.refresh_lora_list()` afterwards.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

STEM = "accelerator-contract_probe"


@pytest.fixture(scope="module")
def networks(webui):
    """The built-in Lora extension's `networks` module, imported as its `scripts/lora_script.py` does
    (`import networks` with the extension folder on sys.path while the WebUI loads its scripts)."""
    candidates = [
        path.parent
        for path in sorted((webui.root / "extensions-builtin").glob("*/networks.py"))
        if "def list_available_networks" in path.read_text(encoding="utf-8")
    ]
    assert len(candidates) == 1, f"expected one built-in Lora extension, found {candidates}"
    folder = str(candidates[0])
    saved = sys.path
    try:
        sys.path = [folder, *sys.path]
        module = importlib.import_module("networks")
    finally:
        sys.path = saved
    assert Path(module.__file__).parent == candidates[0]
    return module


def test_lora_dir_is_the_webuis(webui, host):
    from modules import paths, shared

    assert host.lora_dir() == Path(shared.cmd_opts.lora_dir)
    # the default of --lora-dir, under this run's temporary --data-dir
    assert host.lora_dir() == Path(paths.models_path) / "Lora"
    assert webui.data_dir in host.lora_dir().parents


def test_a_file_in_the_subfolder_is_listed_by_its_stem_after_refresh(webui, host, networks):
    import torch
    from safetensors.torch import save_file

    folder = host.lora_dir() / "accelerator"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{STEM}.safetensors"
    save_file({"lora_unet_probe.alpha": torch.tensor(1.0)}, str(path))
    try:
        assert sys.modules.get("networks") is networks  # what refresh_lora_list() looks up
        networks.available_networks.clear()
        host.refresh_lora_list()
        assert STEM in networks.available_networks
        assert Path(networks.available_networks[STEM].filename) == path
        assert STEM in networks.available_network_aliases
    finally:
        path.unlink()
        host.refresh_lora_list()
    assert STEM not in networks.available_networks
