"""What the script's hooks do for one generation: request -> variant -> file -> plan -> `p`.

Errors the user can act on (bad argument, no file for this model, offline, hash mismatch) stop the
generation with a message in the console, in the image info and in the API's
`extra_generation_params`, instead of quietly producing a slow, unaccelerated image.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from modules import shared

from lib_accelerator import request as request_module
from lib_accelerator.download import ensure as download
from lib_accelerator.download.hashcache import CACHE_NAME, HashCache
from lib_accelerator.lora import prepare as lora_prepare
from lib_accelerator.plan import GenerationContext, PlanError, make_plan, resolve_variant
from lib_accelerator.presets import catalog as catalog_module
from lib_accelerator.presets.catalog import Catalog
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.request import Request, RequestError
from lib_accelerator.webui import host, settings

log = logging.getLogger("accelerator")
ERROR_LABEL = "Accelerator error"
XYZ_ATTRIBUTE = "accelerator_xyz"  # dict of Request fields set by this extension's X/Y/Z axes
_FILE_ERRORS = (
    lora_prepare.LoraFamilyError,
    lora_prepare.LoraConversionError,
    lora_prepare.SafetensorsHeaderError,
)


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
        lora_dir=host.lora_dir(),
        subfolder=str(settings.get("accelerator_subfolder", "accelerator") or "accelerator"),
        offline=settings.offline(),
        endpoint=str(settings.get("accelerator_hf_endpoint", "") or "").strip() or None,
        token=settings.token(),
    )


def request_for(p: Any, args: tuple[Any, ...]) -> Request:
    """The accordion's (or API's) request, with this extension's own X/Y/Z cell values on top.

    The accordion's sliders hold the preset values of the variant it shows; those count as "preset"
    before a grid cell switches the method, or a Lightning cell would run at Hyper-SD's 8 steps.
    """
    request = request_module.from_script_args(args)
    request = request.relative_to(catalog().variant(request.variant) if request.variant else None)
    overrides = getattr(p, XYZ_ATTRIBUTE, None)
    if overrides:
        merged = {name: getattr(request, name) for name in request_module.FIELD_ORDER}
        merged.update(overrides)
        request = request_module.from_mapping(merged)
    return request


def prefetch(overrides: dict[str, Any], family: str) -> None:
    """Make sure the file a grid cell will use is on disk before the grid starts."""
    request = request_module.from_mapping({"enabled": True, **overrides})
    variant = resolve_variant(catalog(), request, family).variant
    lora_path(variant.file, variant.id)


def _progress(name: str) -> download.Progress:
    def report(done: int, total: int) -> None:
        percent = 100 * done // total if total else 0
        host.set_progress_text(f"Downloading {name} {percent}% of {total / 1e6:.0f} MB")

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
    host.refresh_lora_list()
    return path


def before_process(p: Any, args: tuple[Any, ...]) -> None:
    """Options that must reach `override_settings` before the WebUI applies them (right after this hook):
    img2img's fixed step count, and the CFG-1 fast path. process() corrects the latter if the final
    plan's CFG is not 1."""
    try:
        request = request_for(p, args)
    except RequestError:
        return  # reported by process(), which runs next
    if not request.enabled:
        return
    if host.is_img2img(p) and not host.force_fixed_img2img_steps(p):
        log.warning(
            "Accelerator: this img2img job keeps its settings overrides afterwards, so the method's exact step "
            "count is not forced; about denoising strength x steps will run"
        )
    wanted = settings.get("accelerator_cfg1_fast_path", True) and _expected_cfg(request) == 1.0
    if wanted and not host.capabilities().skips_uncond_at_cfg1:
        host.start_cfg1_fast_path(p)


def _expected_cfg(request: Request) -> float | None:
    if request.cfg is not None:
        return request.cfg
    try:
        return resolve_variant(catalog(), request, host.loaded_family()).variant.cfg
    except (RequestError, PlanError):
        return None


def postprocess_batch(p: Any) -> None:
    host.hide_fast_path_infotext(p)


def process(p: Any, args: tuple[Any, ...]) -> None:
    try:
        request = request_for(p, args)
        if not request.enabled:
            host.cancel_cfg1_fast_path(p)
            host.clear_infotext(p)
            if getattr(p, XYZ_ATTRIBUTE, None):
                host.forget_previous_cell_loras(p)
            p.extra_generation_params.pop(ERROR_LABEL, None)
            return
        _accelerate(p, request)
    except (RequestError, PlanError, download.DownloadError, *_FILE_ERRORS) as error:
        _stop_with(p, str(error))


def _accelerate(p: Any, request: Request) -> None:
    loaded = catalog()
    request_module.check_names(request, loaded)
    family = host.loaded_family()
    resolution = resolve_variant(loaded, request, family)
    variant = resolution.variant
    caps = host.capabilities()
    prepared = lora_prepare.prepare(
        lora_path(variant.file, variant.id), host=caps.name, model_family=family, preset_family=variant.family
    )
    if prepared.created:
        host.refresh_lora_list()
    context = GenerationContext(is_img2img=host.is_img2img(p), hires=host.is_hires(p))
    # An X/Y/Z value equal to the variant's own preset is no change, and PNG info lists only changes.
    plan = make_plan(request.relative_to(variant), resolution, caps, prepared.path.stem, context)
    if prepared.note:
        log.warning("Accelerator: %s", prepared.note)
    host.apply_plan(p, plan)
    if not plan.skip_uncond:
        host.cancel_cfg1_fast_path(p)
    p.extra_generation_params.pop(ERROR_LABEL, None)
    for warning in plan.warnings:
        log.warning("Accelerator: %s", warning)
    print(
        f"Accelerator: {plan.variant_id} -> <lora:{plan.lora_name}:{plan.strength:g}>, {plan.steps} steps, "
        f"CFG {plan.cfg:g}, {plan.sampler}" + (f" / {plan.scheduler}" if plan.scheduler else "")
    )


def _stop_with(p: Any, message: str) -> None:
    host.cancel_cfg1_fast_path(p)
    print(message)
    log.error(message)
    host.clear_infotext(p)
    p.extra_generation_params[ERROR_LABEL] = message
    p.comment(message)
    shared.state.interrupt()
