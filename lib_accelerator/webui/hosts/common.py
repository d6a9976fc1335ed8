"""What every host of the A1111 family does the same way: the processing object `p`, `override_settings`, the
LoRA folder, infotext keys. Each host adapter (one module beside this one) subclasses `A1111Family` and overrides
only what its WebUI does differently, so a difference lives in exactly one adapter.

WebUI modules are imported inside the methods: adapters are imported on every host while the right one is chosen,
and a module that one WebUI lacks must not break that.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from lib_accelerator import infotext
from lib_accelerator.families import LoadedModel, ModelFlags, family_from_flags, precision_from_name
from lib_accelerator.plan import HostCapabilities, Plan
from lib_accelerator.prompt import set_lora_tag

FIX_STEPS_OPTION = "img2img_fix_steps"
SKIP_UNCOND_OPTION = "skip_early_cond"  # A1111 1.10+: skip the unconditional pass up to this fraction
SKIP_UNCOND_INFOTEXT = "Skip Early CFG"
LORA_HASHES = "Lora hashes"
FAST_PATH_ATTRIBUTE = "accelerator_cfg1_fast_path"
GRID_MODULES = ("xyz_grid.py", "scripts.xyz_grid")


def has_module(name: str) -> bool:
    """Whether `name` can be imported, without importing it (a parent package is imported to look)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def is_refiner(model: Any) -> bool:
    # Forge has a refiner engine class; A1111 uses one class for both and keeps the config file name.
    used_config = str(getattr(model, "used_config", "") or "")
    return "refiner" in type(model).__name__.lower() or used_config.endswith("sd_xl_refiner.yaml")


def tag_prompts(prompts: list[str] | None, names: tuple[str, ...], strength: float) -> list[str] | None:
    if prompts is None:
        return None
    for name in names:
        prompts = [set_lora_tag(text, name, strength) for text in prompts]
    return prompts


class A1111Family:
    """The A1111 way of doing each thing; the base of every adapter."""

    name = "a1111"
    lora_loader = "a1111"  # whose key-matching rules decide which LoRA layouts need converting

    # --- what the host offers ---------------------------------------------------------------------------
    def sampler_names(self) -> frozenset[str]:
        from modules import sd_samplers

        return frozenset(s.name for s in sd_samplers.all_samplers)

    def schedule_labels(self) -> frozenset[str] | None:
        if not has_module("modules.sd_schedulers"):
            return None
        from modules import sd_schedulers

        return frozenset(s.label for s in sd_schedulers.schedulers)

    def skips_uncond_at_cfg1(self) -> bool:
        return False

    def samples_with_k_diffusion(self) -> bool:
        """Whether Accelerator's k-diffusion TCD sampler can be registered here (webui/tcd_sampler.py)."""
        return has_module("modules.sd_samplers_kdiffusion")

    def capabilities(self) -> HostCapabilities:
        from modules import processing

        return HostCapabilities(
            name=self.name,
            samplers=self.sampler_names(),
            schedulers=self.schedule_labels(),
            skips_uncond_at_cfg1=self.skips_uncond_at_cfg1(),
            has_hr_cfg=hasattr(processing.StableDiffusionProcessingTxt2Img, "hr_cfg"),
            has_distilled_cfg=hasattr(processing.StableDiffusionProcessing, "distilled_cfg_scale"),
            lora_loader=self.lora_loader,
            has_shift=self.has_shift(),
        )

    def has_shift(self) -> bool:
        """Whether a plan's flow shift reaches the sampler here (Forge Neo's shift engines, SD.Next)."""
        return False

    def paste_takes_plain_values(self) -> bool:
        """Whether a paste field's reader may return a plain value; where not, it must give a gr.update."""
        return True

    # --- the loaded model ---------------------------------------------------------------------------------
    def model_flags(self, model: Any) -> ModelFlags:
        return ModelFlags(
            is_sd1=bool(getattr(model, "is_sd1", False)),
            is_sd2=bool(getattr(model, "is_sd2", False)),
            is_sdxl=bool(getattr(model, "is_sdxl", False)) and not is_refiner(model),
            is_sd3=bool(getattr(model, "is_sd3", False)),
            is_ssd=bool(getattr(model, "is_ssd", False)),
        )

    def loaded_model(self) -> Any | None:
        """The loaded model without loading one (A1111 loads it after the UI starts)."""
        from modules import sd_models

        return getattr(sd_models.model_data, "sd_model", None)

    def loaded_family(self) -> str | None:
        """Family of the model this generation uses; by `process()` every host has loaded it."""
        from modules import shared

        return family_from_flags(self.model_flags(shared.sd_model))

    def checkpoint_name(self, model: Any) -> str:
        info = getattr(model, "sd_checkpoint_info", None)
        return str(getattr(info, "filename", "") or getattr(info, "name", "") or "")

    def what_is_loaded(self) -> LoadedModel:
        """Family, base variant and precision of the loaded model, as far as this host tells (the compatibility
        check refuses by them); a host that knows more (Forge Neo's engines, SD.Next's pipelines) says more."""
        model = self.loaded_model()
        if model is None:
            return LoadedModel(None, host=self.name)
        family = self.loaded_family()
        name = self.checkpoint_name(model)
        return LoadedModel(family, self.base_variant(family, model, name), self.precision(model, name), self.name)

    def base_variant(self, family: str | None, model: Any, name: str) -> str:
        """Which checkpoint of the family this is ("" where the host cannot tell, as A1111 cannot)."""
        return ""

    def precision(self, model: Any, name: str) -> str:
        return precision_from_name(name)

    def current_family(self) -> str | None:
        """Family of the loaded model, or None while none is loaded (the panel asks before any generation)."""
        return None if self.loaded_model() is None else self.loaded_family()

    # --- LoRA folders -------------------------------------------------------------------------------------
    def lora_dir(self) -> Path:
        from modules import paths, shared

        configured = getattr(shared.cmd_opts, "lora_dir", None)
        return Path(configured) if configured else Path(paths.models_path) / "Lora"

    def lora_dirs(self) -> list[Path]:
        """Every folder the host's LoRA loader searches, the download folder's parent first."""
        return [self.lora_dir()]

    def refresh_lora_list(self) -> None:
        """Make a new file show up in the Lora tab and /sdapi/v1/loras, not only at generation time."""
        networks = sys.modules.get("networks")
        refresh = getattr(networks, "list_available_networks", None)
        if callable(refresh):
            refresh()

    # --- X/Y/Z --------------------------------------------------------------------------------------------
    def grid_module(self) -> Any | None:
        """The loaded X/Y/Z-plot script's module, which defines `AxisOption` and holds `axis_options`."""
        from modules import scripts

        for data in scripts.scripts_data:
            if data.script_class.__module__ in GRID_MODULES and hasattr(data.module, "AxisOption"):
                return data.module
        return None

    def grid_drawing(self) -> Any:
        """The module with the WebUI's `image_grid`, `draw_grid_annotations` and `GridAnnotation` (Compare methods)."""
        from modules import images

        return images

    # --- the processing object ----------------------------------------------------------------------------
    def is_img2img(self, p: Any) -> bool:
        from modules import processing

        return isinstance(p, processing.StableDiffusionProcessingImg2Img)

    def is_hires(self, p: Any) -> bool:
        return bool(getattr(p, "enable_hr", False)) and not self.is_img2img(p)

    def user_schedule(self, p: Any) -> str | None:
        return getattr(p, "scheduler", None)

    def set_schedule(self, p: Any, plan: Plan) -> None:
        if plan.scheduler is not None and hasattr(p, "scheduler"):
            p.scheduler = plan.scheduler

    def set_hires(self, p: Any, plan: Plan) -> None:
        p.hr_second_pass_steps = plan.steps
        p.hr_sampler_name = plan.sampler
        if hasattr(p, "hr_scheduler"):
            p.hr_scheduler = plan.scheduler
        if plan.hr_cfg is not None and hasattr(p, "hr_cfg"):
            p.hr_cfg = plan.hr_cfg
        if plan.distilled_cfg is not None and hasattr(p, "hr_distilled_cfg"):
            p.hr_distilled_cfg = plan.distilled_cfg
        if getattr(p, "all_hr_prompts", None):
            p.all_hr_prompts = tag_prompts(p.all_hr_prompts, self.lora_tags(plan), plan.strength)

    def lora_tags(self, plan: Plan) -> tuple[str, ...]:
        """The names the plan's LoRA is tagged under: one, unless the host loads each of a variant's files by its
        own tag (SD.Next's Wan 2.2 experts)."""
        return (plan.lora_name,)

    def apply_plan(self, p: Any, plan: Plan) -> None:
        """Set the generation's fields; the UI's own controls stay as the user left them."""
        base = infotext.encode_base(p.steps, p.cfg_scale, p.sampler_name, self.user_schedule(p))
        p.steps = plan.steps
        p.cfg_scale = plan.cfg
        p.sampler_name = plan.sampler
        self.set_schedule(p, plan)
        if plan.distilled_cfg is not None and hasattr(p, "distilled_cfg_scale"):
            p.distilled_cfg_scale = plan.distilled_cfg
        p.all_prompts = tag_prompts(p.all_prompts, self.lora_tags(plan), plan.strength)
        if plan.hires and getattr(p, "enable_hr", False):
            self.set_hires(p, plan)
        self.clear_infotext(p)
        p.extra_generation_params.update(plan.infotext)
        p.extra_generation_params[infotext.BASE_LABEL] = base

    def clear_infotext(self, p: Any) -> None:
        # The X/Y/Z grid shares one extra_generation_params dict between its cells.
        for label in (*infotext.ALL_LABELS, infotext.BASE_LABEL):
            p.extra_generation_params.pop(label, None)

    def forget_previous_cell_loras(self, p: Any) -> None:
        """An X/Y/Z cell without Accelerator must not inherit the LoRA hashes of the accelerated cell before it
        (the grid's cells share extra_generation_params, and the Lora extension only ever sets that key). The
        key can only be there from an earlier cell: for this job the Lora extension writes it later, at
        activation, for whatever LoRAs this cell's prompt names."""
        p.extra_generation_params.pop(LORA_HASHES, None)

    def set_progress_text(self, text: str) -> None:
        from modules import shared

        shared.state.textinfo = text

    def stop_job(self, p: Any, message: str) -> None:
        """End this job with `message` in its info, before any image is made."""
        from modules import shared

        p.comment(message)
        shared.state.interrupt()

    # --- options for this job only ------------------------------------------------------------------------
    def override(self, p: Any, key: str, value: Any) -> None:
        """Set an option for this job only, through `override_settings`, whose values the WebUI restores
        after the job even when it fails. It restores only keys already in `opts.data`, so the key is put
        there first; and a new dict is assigned, because the X/Y/Z grid's cells share the original."""
        from modules import shared

        if key not in shared.opts.data:
            shared.opts.data[key] = shared.opts.get_default(key)
        p.override_settings = {**p.override_settings, key: value}

    def force_fixed_img2img_steps(self, p: Any) -> bool:
        """Make img2img run exactly `p.steps` steps instead of `denoising * steps`.

        Declined (False) for a job whose overrides are kept after it (`override_settings_restore_afterwards`
        is an API field): the option would stay on for every later img2img.
        """
        if not getattr(p, "override_settings_restore_afterwards", True):
            return False
        if p.override_settings.get(FIX_STEPS_OPTION) is None:
            self.override(p, FIX_STEPS_OPTION, True)
        return True

    def start_cfg1_fast_path(self, p: Any) -> bool:
        """Skip the unconditional pass for this job, whose CFG will be exactly 1: the result is the same.

        Uses the WebUI's own "skip early CFG" option at 1.0 (every step). Hosts without that option (A1111
        1.9), jobs whose overrides are not restored afterwards, and jobs that set the option themselves are
        left alone.
        """
        from modules import shared

        if SKIP_UNCOND_OPTION not in getattr(shared.opts, "data_labels", {}):
            return False
        if not getattr(p, "override_settings_restore_afterwards", True) or SKIP_UNCOND_OPTION in p.override_settings:
            return False
        if float(shared.opts.data.get(SKIP_UNCOND_OPTION) or 0) != 0:
            return False
        self.override(p, SKIP_UNCOND_OPTION, 1.0)
        setattr(p, FAST_PATH_ATTRIBUTE, True)
        return True

    def cancel_cfg1_fast_path(self, p: Any) -> None:
        """The plan's CFG turned out not to be 1: compute the unconditional pass after all."""
        from modules import shared

        if getattr(p, FAST_PATH_ATTRIBUTE, False):
            shared.opts.data[SKIP_UNCOND_OPTION] = 0.0
            setattr(p, FAST_PATH_ATTRIBUTE, False)

    def hide_fast_path_infotext(self, p: Any) -> None:
        """The fast path is an implementation detail: pasting "Skip Early CFG: 1" back would make a later
        CFG-7 generation ignore its negative prompt."""
        if getattr(p, FAST_PATH_ATTRIBUTE, False):
            p.extra_generation_params.pop(SKIP_UNCOND_INFOTEXT, None)
