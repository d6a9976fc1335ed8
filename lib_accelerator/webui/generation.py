"""What the script's hooks do for one generation: request -> variant -> file -> plan -> `p`.

Errors the user can act on (bad argument, no file for this model, offline, hash mismatch) stop the
generation with a message in the console, in the image info and in the API's
`extra_generation_params`, instead of quietly producing a slow, unaccelerated image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lib_accelerator import request as request_module
from lib_accelerator.download import ensure as download
from lib_accelerator.families import LoadedModel
from lib_accelerator.lora import prepare as lora_prepare
from lib_accelerator.plan import GenerationContext, HostCapabilities, Plan, PlanError, make_plan, resolve_variant
from lib_accelerator.presets.catalog import Variant
from lib_accelerator.request import Request, RequestError
from lib_accelerator.webui import hosts, settings
from lib_accelerator.webui.log import LOG as log
from lib_accelerator.webui.services import catalog, variant_paths

ERROR_LABEL = "Accelerator error"
XYZ_ATTRIBUTE = "accelerator_xyz"  # dict of Request fields set by this extension's X/Y/Z axes
_FILE_ERRORS = (
    lora_prepare.LoraFamilyError,
    lora_prepare.LoraConversionError,
    lora_prepare.SafetensorsHeaderError,
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
        # Every argument, the shift too: a Shift axis cell, and the accordion's shift under a Method axis.
        merged = {name: getattr(request, name) for name in request_module.ARGUMENT_ORDER}
        merged.update(overrides)
        request = request_module.from_mapping(merged)
    return request


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
    host = hosts.current()
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
    host = hosts.current()
    model = host.what_is_loaded()
    # Before the first generation A1111 may not have loaded the model yet; its family is worth the load then
    # (process() needs the model next anyway), as it was before what_is_loaded existed.
    loaded: LoadedModel | str | None = model if model.family is not None else host.loaded_family()
    try:
        return resolve_variant(catalog(), request, loaded).variant.cfg
    except (RequestError, PlanError):
        return None


def postprocess_batch(p: Any) -> None:
    hosts.current().hide_fast_path_infotext(p)


def process(p: Any, args: tuple[Any, ...]) -> None:
    host = hosts.current()
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
    host = hosts.current()
    loaded = catalog()
    request_module.check_names(request, loaded)
    model = host.what_is_loaded()
    resolution = resolve_variant(loaded, request, model)
    variant = resolution.variant
    caps = host.capabilities()
    lora_name = _prepared_lora_name(variant, model.family, caps)
    context = GenerationContext(is_img2img=host.is_img2img(p), hires=host.is_hires(p))
    # An X/Y/Z value equal to the variant's own preset is no change, and PNG info lists only changes.
    plan = make_plan(request.relative_to(variant), resolution, caps, lora_name, context)
    host.apply_plan(p, plan)
    if not plan.adds_lora and getattr(p, XYZ_ATTRIBUTE, None):
        # A settings-only cell adds no tag, so the Lora extension will not rewrite the previous cell's hashes.
        host.forget_previous_cell_loras(p)
    if not plan.skip_uncond:
        host.cancel_cfg1_fast_path(p)
    p.extra_generation_params.pop(ERROR_LABEL, None)
    for warning in plan.warnings:
        log.warning("Accelerator: %s", warning)
    log.info(f"Accelerator: {_summary(plan)}")


def _prepared_lora_name(variant: Variant, model_family: str | None, caps: HostCapabilities) -> str:
    """Every file of the variant on disk and checked (Wan 2.2: both experts, which the host loads by name), and
    the stem the tag names: the primary (high-noise) file's, or a converted copy's. "" for a recipe-only
    variant: nothing is fetched and no tag is added, so the Lora extension writes no "Lora hashes" either."""
    paths: tuple[Path, ...] = variant_paths(variant)
    prepared = [
        lora_prepare.prepare(path, host=caps.lora_loader, model_family=model_family, preset_family=variant.family)
        for path in paths
    ]
    if any(item.created for item in prepared):
        hosts.current().refresh_lora_list()
    for item in prepared:
        if item.note:
            log.warning("Accelerator: %s", item.note)
    return prepared[0].path.stem if prepared else ""


def _summary(plan: Plan) -> str:
    lora = f"<lora:{plan.lora_name}:{plan.strength:g}>" if plan.adds_lora else "no LoRA (settings only)"
    schedule = f" / {plan.scheduler}" if plan.scheduler else ""
    shift = f", shift {plan.shift:g}" if plan.shift is not None else ""
    return f"{plan.variant_id} -> {lora}, {plan.steps} steps, CFG {plan.cfg:g}, {plan.sampler}{schedule}{shift}"


def _stop_with(p: Any, message: str) -> None:
    host = hosts.current()
    host.cancel_cfg1_fast_path(p)
    log.error(message)
    host.clear_infotext(p)
    p.extra_generation_params[ERROR_LABEL] = message
    host.stop_job(p, message)
