"""SD.Next (vladmandic/sdnext, master 058a7f0c of 2026-07-23): a diffusers-only host behind an A1111 scripts shim.

What differs from A1111 (file:line at 058a7f0c):
- Samplers are diffusers schedulers, listed by `modules/sd_samplers.py` (`visible_samplers()`); the names the presets
  use (Euler, Euler a, LCM, TCD, DPM++ 2M, DPM++ SDE, DDIM) exist under the same names. There is no Schedule type and
  no `p.scheduler`: a schedule is a set of per-job fields, `p.schedulers_timestep_spacing`, `p.schedulers_sigma`,
  ... (`modules/processing_class.py:225-251`), each `None` = the option's value; the sampler is built after
  `process()` from them (`modules/processing_helpers.py:583-616`). "Euler SGM" would be trailing spacing too, but
  its config also forces `prediction_type: sample` (`modules/sd_samplers_diffusers.py:118`), wrong for the
  epsilon models the LoRAs are for; so Euler + `trailing` is set instead.
- TCD is its own diffusers `TCDScheduler`; its gamma is the pipeline's `eta`, `p.scheduler_eta` (option default 1.0,
  `modules/ui_definitions.py:775`), so the 0.3 TCD was distilled for is set per job. Accelerator's k-diffusion TCD
  sampler is not registered here (no k-diffusion).
- The family is `shared.sd_model_type` (`modules/modeldata.py:16-160`, from the pipeline class); the A1111 flags on
  the model are constants (`modules/sd_models.py:875-877`: `is_sdxl` False for every model). Reading
  `shared.sd_model` loads a model when none is loaded, so `shared.sd_loaded` is asked first.
- LoRAs: the built-in loader (`modules/lora/`), files under `cmd_opts.lora_dir`; kohya keys load, dotted diffusers
  and PEFT keys of the harness's SD 1.5 files logged an error and changed nothing (so A1111's conversion rules hold).
  Qwen-Image and Wan are not in its native list (`modules/lora/lora_overrides.py:24-35,73-74`): their files go
  through diffusers' `load_lora_weights`, which converts the Lightning layouts itself (seen in the e2e layer).
  Wan's two experts are `transformer` (high noise) and `transformer_2` (low noise); a tag whose name has "_high"
  loads into the first only, "_low" into the second (`modules/lora/extra_networks_lora.py:133-147`,
  `modules/lora/lora_diffusers.py:27-37`), and only the experts the `model_wan_stage` option names are loaded
  (`pipelines/model_wanai.py:34-47`, default "low noise"). So each loaded expert gets its own file's tag.
- X/Y/Z: the axis list lives in `scripts/xyz/xyz_grid_classes.py` (`axis_options`, `AxisOption`), shared by the
  two grid scripts; labels are "[Group] Name", which "[Accelerator] Method" fits.
- Diffusers pipelines skip the unconditional pass at CFG <= 1 (`do_classifier_free_guidance`).
"""

from __future__ import annotations

import sys
from typing import Any

from lib_accelerator import families
from lib_accelerator.families import ModelFlags
from lib_accelerator.names import AUTOMATIC
from lib_accelerator.plan import Plan
from lib_accelerator.presets.files import HIGH_NOISE, LOW_NOISE
from lib_accelerator.webui.hosts.common import A1111Family, has_module

PRECEDENCE = 40

# Schedule labels of the neutral table -> the per-job `p.schedulers_*` fields that make them. SGM Uniform and
# Simple both start at the last training timestep and space evenly from there: "trailing" (diffusers' name).
SCHEDULE_FIELDS: dict[str, dict[str, str]] = {
    AUTOMATIC: {},
    "SGM Uniform": {"schedulers_timestep_spacing": "trailing"},
    "Simple": {"schedulers_timestep_spacing": "trailing"},
    "Normal": {"schedulers_timestep_spacing": "linspace"},
    "Karras": {"schedulers_sigma": "karras"},
    "Exponential": {"schedulers_sigma": "exponential"},
    # `use_beta_sigmas` of the scheduler (FlowMatch Euler has it), `modules/sd_samplers_diffusers.py:470-472`
    "Beta": {"schedulers_sigma": "betas"},
}
TCD_GAMMA_FIELD = "scheduler_eta"  # the TCD scheduler's gamma, passed to the pipeline as `eta`
TCD_DEFAULT_GAMMA = 0.3
# shared.sd_model_type -> flags of the families Accelerator knows
_TYPE_FLAGS = {"sd": "is_sd1", "sdxl": "is_sdxl", "sd3": "is_sd3", "f1": "is_flux"}
_GRID_CLASSES = "scripts.xyz.xyz_grid_classes"
# shared.sd_model_type -> the families beyond A1111's flags
_TYPE_FAMILIES = {
    "qwen": families.QWEN_IMAGE,
    "wanai": families.WAN22,
    "zimage": families.Z_IMAGE,
    "f2": families.FLUX2,
    # Chroma is a ChromaPipeline here, not a FLUX.1 one (`modules/modeldata.py:46-49`), with a LoRA adapter of
    # its own (`modules/lora/lora_load.py:26`, `pipelines/chroma/chroma_lora.py`): no FLUX.1 speed LoRA is known
    # to fit it, so it is its own family and the FLUX.1 files are refused by name there.
    "chroma": families.CHROMA,
}


def detect() -> bool:
    return has_module("modules.processing_class") and has_module("modules.sd_samplers_diffusers")


class Adapter(A1111Family):
    name = "sdnext"
    lora_loader = "sdnext"

    def sampler_names(self) -> frozenset[str]:
        from modules import sd_samplers

        return frozenset(s.name for s in sd_samplers.visible_samplers())

    def schedule_labels(self) -> frozenset[str] | None:
        return frozenset(SCHEDULE_FIELDS)

    def skips_uncond_at_cfg1(self) -> bool:
        return True

    def samples_with_k_diffusion(self) -> bool:
        return False

    # --- the loaded model ---------------------------------------------------------------------------------
    def loaded_model(self) -> Any | None:
        from modules import shared

        return shared.sd_model if shared.sd_loaded else None

    def model_flags(self, model: Any) -> ModelFlags:
        from modules import shared

        kind = str(shared.sd_model_type) if model is not None else ""
        flag = _TYPE_FLAGS.get(kind)
        if flag == "is_sd1" and _cross_attention_dim(model) == 1024:
            flag = "is_sd2"  # SD 2.x is a StableDiffusionPipeline too; its UNet attends to OpenCLIP-H's 1024
        if flag == "is_sdxl" and getattr(model, "text_encoder", None) is None:
            flag = None  # the SDXL refiner has only the second text encoder; SDXL LoRAs do not fit it
        return ModelFlags(**{flag: True}) if flag else ModelFlags()

    def loaded_family(self) -> str | None:
        from modules import shared

        model = self.loaded_model()
        if model is None:
            return None
        return _TYPE_FAMILIES.get(str(shared.sd_model_type)) or families.family_from_flags(self.model_flags(model))

    def base_variant(self, family: str | None, model: Any, name: str) -> str:
        return _base_variant(family, type(model).__name__, name)

    def precision(self, model: Any, name: str) -> str:
        return _precision(model, name)

    def has_shift(self) -> bool:
        return True  # every flow-matching scheduler takes `schedulers_shift`; others ignore it

    def paste_takes_plain_values(self) -> bool:
        # Its paste (`modules/generation_parameters_copypaste.py`, `paste_func`) calls a reader, then passes the
        # reader itself to `should_skip(key)`, which calls `key.lower()` unless the value was None or a gr.update:
        # one plain value and the whole paste fails (AttributeError), prompt and all.
        return False

    # --- LoRA folders -------------------------------------------------------------------------------------
    def refresh_lora_list(self) -> None:
        loader = sys.modules.get("modules.lora.lora_load")
        refresh = getattr(loader, "list_available_networks", None)
        if callable(refresh):
            refresh()

    # --- X/Y/Z --------------------------------------------------------------------------------------------
    def grid_module(self) -> Any | None:
        module = sys.modules.get(_GRID_CLASSES)
        if module is None and has_module(_GRID_CLASSES):
            import importlib

            module = importlib.import_module(_GRID_CLASSES)
        return module if module is not None and hasattr(module, "AxisOption") else None

    def grid_drawing(self) -> Any:
        from modules.image import grid  # SD.Next moved the grid helpers out of modules/images.py

        return grid

    # --- the processing object ----------------------------------------------------------------------------
    def user_schedule(self, p: Any) -> str | None:
        return None  # no Schedule type: the user's own schedule is the sampler's, i.e. Automatic

    def set_schedule(self, p: Any, plan: Plan) -> None:
        for key, value in SCHEDULE_FIELDS.get(plan.scheduler or AUTOMATIC, {}).items():
            setattr(p, key, value)
        if plan.sampler == "TCD" and getattr(p, TCD_GAMMA_FIELD, None) is None:
            setattr(p, TCD_GAMMA_FIELD, TCD_DEFAULT_GAMMA)
        if plan.shift is not None:
            # a static shift: with dynamic shifting the scheduler would derive its own from the image size
            p.schedulers_shift = plan.shift
            p.schedulers_dynamic_shift = False

    def lora_tags(self, plan: Plan) -> tuple[str, ...]:
        return expert_lora_names(self.loaded_model(), plan.lora_name)

    def set_hires(self, p: Any, plan: Plan) -> None:
        # SD.Next's second pass reuses the first pass's prompts and schedule fields (`modules/processing_diffusers.py`).
        p.hr_second_pass_steps = plan.steps
        p.hr_sampler_name = plan.sampler

    def forget_previous_cell_loras(self, p: Any) -> None:
        # SD.Next's LoRA loader writes these (modules/lora/extra_networks_lora.py:72-83) into the dict its X/Y/Z
        # cells share (`copy(p)`, scripts/xyz_grid.py:327), and leaves them there for a cell without a LoRA.
        for key in ("LoRA networks", "LoRA hashes"):
            p.extra_generation_params.pop(key, None)

    def stop_job(self, p: Any, message: str) -> None:
        """SD.Next begins the job after process() and that clears `state.interrupted` (`modules/processing.py:452`,
        `modules/shared_state.py:200`), so an interrupt from here would not stop it. An empty prompt list ends its
        batch loop before anything is made (`modules/processing.py:482`): no image, nothing saved."""
        from modules import shared

        p.comment(message)
        p.all_prompts = []
        shared.state.interrupt()

    def force_fixed_img2img_steps(self, p: Any) -> bool:
        # SD.Next itself asks the img2img pipeline for steps / strength, so that exactly `p.steps` run
        # (8 steps at strength 0.5 became num_inference_steps 17, 8 run: seen in the e2e layer)
        return True

    def start_cfg1_fast_path(self, p: Any) -> bool:
        return False

    def cancel_cfg1_fast_path(self, p: Any) -> None:
        return None


def expert_lora_names(model: Any, name: str) -> tuple[str, ...]:
    """The LoRA names to tag for a Wan 2.2 file pair: the high-noise file for the loaded `transformer`, its
    low-noise twin (the preset guarantees the names differ only there) for the loaded `transformer_2`. Any other
    name, or a model without experts, is tagged as it is."""
    if HIGH_NOISE not in name or not (hasattr(model, "transformer") and hasattr(model, "transformer_2")):
        return (name,)
    experts = (
        (name, getattr(model, "transformer", None)),
        (name.replace(HIGH_NOISE, LOW_NOISE), getattr(model, "transformer_2", None)),
    )
    return tuple(tagged for tagged, expert in experts if expert is not None) or (name,)


def _base_variant(family: str | None, pipeline: str, name: str) -> str:
    """From the diffusers pipeline class SD.Next loaded, and the checkpoint's name where the class does not tell."""
    if family == families.QWEN_IMAGE:
        # QwenImageEditPlusPipeline serves 2509 and 2511 alike: their release tag is only in the name
        return families.qwen_base_from_name(name if "Edit" in pipeline else "")
    if family == families.WAN22:
        return "i2v-a14b" if "ImageToVideo" in pipeline or "i2v" in name.lower() else "t2v-a14b"
    if family == families.FLUX2:
        return "klein" if "Klein" in pipeline or "klein" in name.lower() else "dev"
    if family == families.Z_IMAGE:
        return "turbo" if "turbo" in name.lower() else "base"
    return ""


def _precision(model: Any, name: str) -> str:
    denoiser = getattr(model, "transformer", None) or getattr(model, "unet", None)
    if "Nunchaku" in type(denoiser).__name__:  # modules/lora/lora_overrides.py:63-68
        return families.NUNCHAKU
    return families.precision_from_name(name)


def _cross_attention_dim(model: Any) -> int | None:
    config = getattr(getattr(model, "unet", None), "config", None)
    value = getattr(config, "cross_attention_dim", None)
    return value if isinstance(value, int) else None
