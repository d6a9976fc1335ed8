"""The process-wide services every part of the glue shares: the preset catalogue (built-in presets and the
user's recipes), the download options from Settings, and getting a variant's verified LoRA files onto disk
(none for a recipe-only variant, two for Wan 2.2's experts).

The generation hooks are in `generation.py`; what differs between WebUIs is in `hosts/`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lib_accelerator import request as request_module
from lib_accelerator.download import ensure as download
from lib_accelerator.download import variant_files
from lib_accelerator.download.hashcache import CACHE_NAME, HashCache
from lib_accelerator.download.variant_files import FileProgress
from lib_accelerator.families import LoadedModel
from lib_accelerator.plan import resolve_variant
from lib_accelerator.presets import catalog as catalog_module
from lib_accelerator.presets.catalog import Catalog, Variant
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


def prefetch(overrides: dict[str, Any], loaded: LoadedModel | str) -> Variant:
    """Make sure every file a grid cell will use is on disk before the grid starts; the variant it resolved to."""
    request = request_module.from_mapping({"enabled": True, **overrides})
    variant = resolve_variant(catalog(), request, loaded).variant
    variant_paths(variant)
    return variant


def _progress_text(file: LoraFile, number: int, count: int, done: int, total: int) -> str:
    percent = 100 * done // total if total else 0
    of = f" (file {number} of {count})" if count > 1 else ""
    return f"Downloading {file.stem}{of} {percent}% of {total / 1e6:.0f} MB"


def _show_progress(file: LoraFile, number: int, count: int, done: int, total: int) -> None:
    hosts.current().set_progress_text(_progress_text(file, number, count, done, total))


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


def variant_paths(variant: Variant, progress: FileProgress | None = None) -> tuple[Path, ...]:
    """Every file of `variant` verified on disk, primary first, downloading what is missing when allowed; ()
    for a recipe-only variant (a checkpoint that is distilled itself needs no file)."""
    if variant.recipe_only:
        return ()
    options = download_options()
    if variant.file.is_local:  # a recipe's own file is always its only one
        return (_local_path(variant.file, options),)
    present = variant_files.find_all_present(variant.files, options)
    if present is not None:
        return present
    if not settings.get("accelerator_auto_download", True) and not options.offline:
        # Both of two experts count as missing when only one is there: they are used as a pair of twins.
        missing = [f.save_as for f in variant.files if download.find_present(f, options) is None] or [
            f.save_as for f in variant.files
        ]
        raise download.DownloadError(
            f"Accelerator: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not downloaded yet and "
            "automatic download is off; "
            "press 'Download now' in the Accelerator panel or run "
            f"`python -m lib_accelerator fetch {variant.id} --lora-dir {options.lora_dir}`"
        )
    paths = variant_files.ensure_files(
        variant.files, options, fetch_hint=variant.id, progress=progress or _show_progress
    )
    hosts.current().refresh_lora_list()
    return paths
