"""The process-wide services every part of the glue shares: the preset catalogue (built-in presets and the
user's recipes), the download options from Settings, and getting a verified LoRA file onto disk.

The generation hooks are in `generation.py`; what differs between WebUIs is in `hosts/`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lib_accelerator import request as request_module
from lib_accelerator.download import ensure as download
from lib_accelerator.download.hashcache import CACHE_NAME, HashCache
from lib_accelerator.plan import resolve_variant
from lib_accelerator.presets import catalog as catalog_module
from lib_accelerator.presets.catalog import Catalog
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.webui import hosts, settings
from lib_accelerator.webui.log import LOG as log


@functools.lru_cache(maxsize=4)
def _load_catalog(user_dir: str) -> Catalog:
    loaded = catalog_module.load_catalog(catalog_module.builtin_presets_dir(), [Path(user_dir)])
    for error in loaded.errors:
        log.error("Accelerator: preset not loaded: %s", error)
    return loaded


def catalog() -> Catalog:
    return _load_catalog(str(settings.user_presets_dir()))


def reload_catalog() -> Catalog:
    _load_catalog.cache_clear()
    return catalog()


def download_options() -> download.DownloadOptions:
    return download.DownloadOptions(
        lora_dir=hosts.current().lora_dir(),
        subfolder=str(settings.get("accelerator_subfolder", "accelerator") or "accelerator"),
        offline=settings.offline(),
        endpoint=str(settings.get("accelerator_hf_endpoint", "") or "").strip() or None,
        token=settings.token(),
    )


def prefetch(overrides: dict[str, Any], family: str) -> None:
    """Make sure the file a grid cell will use is on disk before the grid starts."""
    request = request_module.from_mapping({"enabled": True, **overrides})
    variant = resolve_variant(catalog(), request, family).variant
    lora_path(variant.file, variant.id)


def _progress(name: str) -> download.Progress:
    def report(done: int, total: int) -> None:
        percent = 100 * done // total if total else 0
        hosts.current().set_progress_text(f"Downloading {name} {percent}% of {total / 1e6:.0f} MB")

    return report


def _local_path(file: LoraFile, options: download.DownloadOptions) -> Path:
    """A recipe's own LoRA, already in the LoRA folder; checked against its sha256 when the recipe has one."""
    path = Path(options.lora_dir) / file.local
    if not path.is_file():
        raise download.DownloadError(
            f"Accelerator: {file.local} is not in the LoRA folder {options.lora_dir}; "
            "put it back or choose another file for this recipe",
            file,
        )
    if file.sha256:
        cache = HashCache(download.target_path(file, options).with_name(CACHE_NAME))
        actual = cache.sha256(path)
        if actual != file.sha256:
            raise download.DownloadError(
                f"Accelerator: {file.local} has changed since the recipe was saved "
                f"(sha256 {actual[:12]}…, the recipe says {file.sha256[:12]}…)",
                file,
            )
    return path


def lora_path(file: LoraFile, variant_id: str, progress: download.Progress | None = None) -> Path:
    """The verified file on disk, downloading it first when allowed."""
    options = download_options()
    if file.is_local:
        return _local_path(file, options)
    present = download.find_present(file, options)
    if present is not None:
        return present
    if not settings.get("accelerator_auto_download", True) and not options.offline:
        raise download.DownloadError(
            f"Accelerator: {file.save_as} is not downloaded yet and automatic download is off; "
            "press 'Download now' in the Accelerator panel or run "
            f"`python -m lib_accelerator fetch {variant_id} --lora-dir {options.lora_dir}`"
        )
    path = download.ensure_file(file, options, fetch_hint=variant_id, progress=progress or _progress(file.stem))
    hosts.current().refresh_lora_list()
    return path
