"""Everything Accelerator reads from or writes to the running WebUI's processing objects.

Capabilities come from feature detection on the live registries, never from version strings, so
A1111 1.9/1.10, Forge and reForge are told apart by what they actually have.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from modules import processing, sd_samplers, shared

from lib_accelerator import infotext
from lib_accelerator.families import ModelFlags, family_from_flags
from lib_accelerator.plan import HostCapabilities, Plan
from lib_accelerator.prompt import set_lora_tag

_FIX_STEPS_OPTION = "img2img_fix_steps"
_SKIP_UNCOND_OPTION = "skip_early_cond"  # A1111 1.10+: skip the unconditional pass up to this fraction
_SKIP_UNCOND_INFOTEXT = "Skip Early CFG"
_LORA_HASHES = "Lora hashes"
FAST_PATH_ATTRIBUTE = "accelerator_cfg1_fast_path"


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def is_forge() -> bool:
    return _has_module("modules_forge")


def capabilities() -> HostCapabilities:
    samplers = frozenset(s.name for s in sd_samplers.all_samplers)
    schedulers: frozenset[str] | None = None
    if _has_module("modules.sd_schedulers"):
        from modules import sd_schedulers

        schedulers = frozenset(s.label for s in sd_schedulers.schedulers)
    txt2img = processing.StableDiffusionProcessingTxt2Img
    forge = is_forge()
    return HostCapabilities(
        name="forge" if forge else "a1111",
        samplers=samplers,
        schedulers=schedulers,
        # Forge (and reForge) drop the unconditional pass at CFG 1 in their own sampling function.
        skips_uncond_at_cfg1=forge or _has_module("ldm_patched"),
        has_hr_cfg=hasattr(txt2img, "hr_cfg"),
        has_distilled_cfg=hasattr(processing.StableDiffusionProcessing, "distilled_cfg_scale"),
    )


# Forge's model configs for UNets pruned from SDXL: Forge loads them as StableDiffusionXL with is_sdxl
# set and no is_ssd, but full-SDXL LoRAs do not fit them.
_PRUNED_SDXL_CONFIGS = ("SSD1B", "Segmind_Vega", "KOALA_700M", "KOALA_1B")


def _is_refiner(model: Any) -> bool:
    # Forge has a refiner engine class; A1111 uses one class for both and keeps the config file name.
    used_config = str(getattr(model, "used_config", "") or "")
    return "refiner" in type(model).__name__.lower() or used_config.endswith("sd_xl_refiner.yaml")


def model_flags(model: Any) -> ModelFlags:
    config = getattr(model, "model_config", None)
    repo = str(getattr(config, "huggingface_repo", "") or "").lower()
    # Forge sets no is_flux flag; its Flux and Chroma engines are recognised by class or repo name.
    flux = type(model).__name__ in ("Flux", "Chroma") or "flux" in repo
    return ModelFlags(
        is_sd1=bool(getattr(model, "is_sd1", False)),
        is_sd2=bool(getattr(model, "is_sd2", False)),
        is_sdxl=bool(getattr(model, "is_sdxl", False)) and not _is_refiner(model),
        is_sd3=bool(getattr(model, "is_sd3", False)),
        is_flux=flux,
        is_ssd=bool(getattr(model, "is_ssd", False)) or type(config).__name__ in _PRUNED_SDXL_CONFIGS,
    )


def loaded_family() -> str | None:
    """Family of the model this generation uses; by `process()` both A1111 and Forge have loaded it."""
    return family_from_flags(model_flags(shared.sd_model))


def lora_dir() -> Path:
    configured = getattr(shared.cmd_opts, "lora_dir", None)
    if configured:
        return Path(configured)
    from modules import paths

    return Path(paths.models_path) / "Lora"


def refresh_lora_list() -> None:
    """Make a new file show up in the Lora tab and /sdapi/v1/loras, not only at generation time."""
    networks = sys.modules.get("networks")
    refresh = getattr(networks, "list_available_networks", None)
    if callable(refresh):
        refresh()


def clear_infotext(p: Any) -> None:
    # The X/Y/Z grid shares one extra_generation_params dict between its cells.
    for label in (*infotext.LABELS, infotext.BASE_LABEL):
        p.extra_generation_params.pop(label, None)


def forget_previous_cell_loras(p: Any) -> None:
    """An X/Y/Z cell without Accelerator must not inherit the LoRA hashes of the accelerated cell before it
    (the grid's cells share extra_generation_params, and the Lora extension only ever sets that key). The
    key can only be there from an earlier cell: for this job the Lora extension writes it later, at
    activation, for whatever LoRAs this cell's prompt names."""
    p.extra_generation_params.pop(_LORA_HASHES, None)


def _override(p: Any, key: str, value: Any) -> None:
    """Set an option for this job only, through `override_settings`, whose values the WebUI restores
    after the job even when it fails. It restores only keys already in `opts.data`, so the key is put
    there first; and a new dict is assigned, because the X/Y/Z grid's cells share the original."""
    if key not in shared.opts.data:
        shared.opts.data[key] = shared.opts.get_default(key)
    p.override_settings = {**p.override_settings, key: value}


def force_fixed_img2img_steps(p: Any) -> bool:
    """Make img2img run exactly `p.steps` steps instead of `denoising * steps`.

    Declined (False) for a job whose overrides are kept after it (`override_settings_restore_afterwards`
    is an API field): the option would stay on for every later img2img.
    """
    if not getattr(p, "override_settings_restore_afterwards", True):
        return False
    if p.override_settings.get(_FIX_STEPS_OPTION) is None:
        _override(p, _FIX_STEPS_OPTION, True)
    return True


def start_cfg1_fast_path(p: Any) -> bool:
    """Skip A1111's unconditional pass for this job, whose CFG will be exactly 1: the result is the same.

    Uses the WebUI's own "skip early CFG" option at 1.0 (every step). Hosts without that option (A1111
    1.9), jobs whose overrides are not restored afterwards, and jobs that set the option themselves are
    left alone.
    """
    if _SKIP_UNCOND_OPTION not in getattr(shared.opts, "data_labels", {}):
        return False
    if not getattr(p, "override_settings_restore_afterwards", True) or _SKIP_UNCOND_OPTION in p.override_settings:
        return False
    if float(shared.opts.data.get(_SKIP_UNCOND_OPTION) or 0) != 0:
        return False
    _override(p, _SKIP_UNCOND_OPTION, 1.0)
    setattr(p, FAST_PATH_ATTRIBUTE, True)
    return True


def cancel_cfg1_fast_path(p: Any) -> None:
    """The plan's CFG turned out not to be 1: compute the unconditional pass after all."""
    if getattr(p, FAST_PATH_ATTRIBUTE, False):
        shared.opts.data[_SKIP_UNCOND_OPTION] = 0.0
        setattr(p, FAST_PATH_ATTRIBUTE, False)


def hide_fast_path_infotext(p: Any) -> None:
    """The fast path is an implementation detail: pasting "Skip Early CFG: 1" back would make a later
    CFG-7 generation ignore its negative prompt."""
    if getattr(p, FAST_PATH_ATTRIBUTE, False):
        p.extra_generation_params.pop(_SKIP_UNCOND_INFOTEXT, None)


def _tag_prompts(prompts: list[str] | None, plan: Plan) -> list[str] | None:
    if prompts is None:
        return None
    return [set_lora_tag(text, plan.lora_name, plan.strength) for text in prompts]


def apply_plan(p: Any, plan: Plan) -> None:
    """Set the generation's fields; the UI's own controls stay as the user left them."""
    base = infotext.encode_base(p.steps, p.cfg_scale, p.sampler_name, getattr(p, "scheduler", None))
    p.steps = plan.steps
    p.cfg_scale = plan.cfg
    p.sampler_name = plan.sampler
    if plan.scheduler is not None and hasattr(p, "scheduler"):
        p.scheduler = plan.scheduler
    if plan.distilled_cfg is not None and hasattr(p, "distilled_cfg_scale"):
        p.distilled_cfg_scale = plan.distilled_cfg
    p.all_prompts = _tag_prompts(p.all_prompts, plan)
    if plan.hires and getattr(p, "enable_hr", False):
        p.hr_second_pass_steps = plan.steps
        p.hr_sampler_name = plan.sampler
        if hasattr(p, "hr_scheduler"):
            p.hr_scheduler = plan.scheduler
        if plan.hr_cfg is not None and hasattr(p, "hr_cfg"):
            p.hr_cfg = plan.hr_cfg
        if plan.distilled_cfg is not None and hasattr(p, "hr_distilled_cfg"):
            p.hr_distilled_cfg = plan.distilled_cfg
        if getattr(p, "all_hr_prompts", None):
            p.all_hr_prompts = _tag_prompts(p.all_hr_prompts, plan)
    clear_infotext(p)
    p.extra_generation_params.update(plan.infotext)
    p.extra_generation_params[infotext.BASE_LABEL] = base


def is_hires(p: Any) -> bool:
    return bool(getattr(p, "enable_hr", False)) and not is_img2img(p)


def is_img2img(p: Any) -> bool:
    return isinstance(p, processing.StableDiffusionProcessingImg2Img)


def set_progress_text(text: str) -> None:
    shared.state.textinfo = text
