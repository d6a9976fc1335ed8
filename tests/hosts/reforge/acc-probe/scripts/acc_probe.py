"""acc-probe: a read-only WebUI extension that reports, at GET /acc-probe/facts, the host facts an
Accelerator adapter needs (sampler names, schedule labels, processing fields, options, X/Y/Z module,
LoRA module, callback signatures, package versions). Used by tests/hosts/{reforge,forge_classic};
it changes nothing in the WebUI. Copy or symlink the acc-probe folder into the host's extensions/."""

import importlib
import inspect
import sys


def _sig(obj):
    try:
        return str(inspect.signature(obj))
    except Exception as e:  # noqa: BLE001
        return f"<no signature: {e}>"


def _src(obj):
    try:
        return f"{inspect.getsourcefile(obj)}:{inspect.getsourcelines(obj)[1]}"
    except Exception:  # noqa: BLE001
        return None


def _mod(name):
    try:
        return importlib.import_module(name)
    except Exception as e:  # noqa: BLE001
        return e


def facts():
    out = {}
    vers = {}
    for pkg in (
        "gradio",
        "huggingface_hub",
        "torch",
        "transformers",
        "diffusers",
        "pydantic",
        "fastapi",
        "safetensors",
        "numpy",
    ):
        m = _mod(pkg)
        vers[pkg] = getattr(m, "__version__", getattr(m, "VERSION", repr(m)))
    out["versions"] = vers

    from modules import processing, script_callbacks, scripts, sd_samplers, sd_samplers_common, shared

    out["all_samplers"] = [
        {
            "name": s.name,
            "aliases": list(s.aliases or []),
            "options": {k: str(v) for k, v in (s.options or {}).items()},
            "constructor": getattr(s.constructor, "__qualname__", str(s.constructor)),
        }
        for s in sd_samplers.all_samplers
    ]
    out["visible_sampler_names"] = (
        sd_samplers.visible_sampler_names() if hasattr(sd_samplers, "visible_sampler_names") else None
    )
    out["set_samplers"] = _sig(sd_samplers.set_samplers) if hasattr(sd_samplers, "set_samplers") else None
    out["create_sampler"] = _sig(sd_samplers.create_sampler)
    sch = _mod("modules.sd_schedulers")
    if isinstance(sch, Exception):
        out["sd_schedulers"] = repr(sch)
    else:
        out["sd_schedulers"] = [
            {"name": s.name, "label": s.label, "aliases": getattr(s, "aliases", None)} for s in sch.schedulers
        ]
    kd = _mod("modules.sd_samplers_kdiffusion")
    out["kdiffusion"] = {
        "KDiffusionSampler.__init__": _sig(kd.KDiffusionSampler.__init__),
        "KDiffusionSampler": _src(kd.KDiffusionSampler),
        "has samplers_k_diffusion": hasattr(kd, "samplers_k_diffusion"),
        "has samplers_data_k_diffusion": hasattr(kd, "samplers_data_k_diffusion"),
        "has k_diffusion_scheduler": list(getattr(kd, "k_diffusion_scheduler", {}) or {}) or None,
        "has CFGDenoiserKDiffusion": hasattr(kd, "CFGDenoiserKDiffusion"),
        "k_diffusion.sampling": getattr(sys.modules.get("k_diffusion.sampling"), "__file__", None),
        "has sample_tcd": hasattr(sys.modules.get("k_diffusion.sampling"), "sample_tcd"),
        "has sample_lcm": hasattr(sys.modules.get("k_diffusion.sampling"), "sample_lcm"),
    }
    sd = sd_samplers_common.SamplerData
    out["SamplerData"] = {"fields": list(getattr(sd, "_fields", [])), "src": _src(sd_samplers_common), "sig": _sig(sd)}

    # processing fields
    fields = {}
    for cls in (
        processing.StableDiffusionProcessing,
        processing.StableDiffusionProcessingTxt2Img,
        processing.StableDiffusionProcessingImg2Img,
    ):
        sig = inspect.signature(cls.__init__) if not hasattr(cls, "__dataclass_fields__") else None
        names = list(getattr(cls, "__dataclass_fields__", {}).keys()) or list(sig.parameters)
        fields[cls.__name__] = [
            n
            for n in (
                "scheduler",
                "hr_scheduler",
                "hr_cfg",
                "distilled_cfg_scale",
                "hr_distilled_cfg",
                "hr_sampler_name",
                "sampler_name",
                "cfg_scale",
                "steps",
                "extra_generation_params",
            )
            if n in names
        ]
    out["processing_fields"] = fields

    labels = shared.opts.data_labels
    out["options"] = {
        k: (
            None
            if k not in labels
            else {
                "default": str(labels[k].default),
                "label": getattr(labels[k], "label", None),
                "choices": str((labels[k].component_args or {}).get("choices"))
                if isinstance(getattr(labels[k], "component_args", None), dict)
                else None,
                "value": str(shared.opts.data.get(k, labels[k].default)),
            }
        )
        for k in (
            "skip_early_cond",
            "img2img_fix_steps",
            "disable_cfg1_optimization",
            "k_sched_type",
            "sd_sampling",
            "show_progress_type",
            "live_previews_enable",
            "show_progress_every_n_steps",
            "lora_functional",
            "s_min_uncond",
            "sd_checkpoint_hash",
            "forge_unet_storage_dtype",
            "sgm_noise_multiplier",
            "dont_fix_second_order_samplers_schedule",
        )
    }
    out["cfg_like_options"] = sorted(k for k in labels if "cfg" in k.lower() or "uncond" in k.lower())

    m = shared.sd_model
    out["sd_model"] = {
        "class": type(m).__name__ if m is not None else None,
        "mro": [c.__module__ + "." + c.__name__ for c in type(m).__mro__][:6] if m is not None else None,
        **{
            a: (getattr(m, a) if hasattr(m, a) else "<absent>")
            for a in (
                "is_sd1",
                "is_sd2",
                "is_sdxl",
                "is_sd3",
                "is_ssd",
                "is_sdxl_inpaint",
                "is_flux",
                "is_webui_legacy_model",
            )
        },
        "forge_objects": hasattr(m, "forge_objects"),
        "sd_checkpoint_info": getattr(getattr(m, "sd_checkpoint_info", None), "name", None),
    }
    if m is not None:
        out["sd_model"] = {
            k: (v if isinstance(v, (str, bool, type(None), list, int)) else repr(v)) for k, v in out["sd_model"].items()
        }

    # LoRA module
    nw = sys.modules.get("networks")
    out["networks"] = (
        None
        if nw is None
        else {
            "file": getattr(nw, "__file__", None),
            "list_available_networks": _sig(nw.list_available_networks)
            if hasattr(nw, "list_available_networks")
            else None,
            "available_networks": sorted(getattr(nw, "available_networks", {}) or {}),
            "has load_networks": hasattr(nw, "load_networks"),
            "has network_apply_weights": hasattr(nw, "network_apply_weights"),
        }
    )
    out["cmd_opts"] = {
        a: str(getattr(shared.cmd_opts, a, "<absent>"))
        for a in ("lora_dir", "ckpt_dir", "models_dir", "data_dir", "always_cpu", "all_in_fp32", "use_cpu", "no_half")
    }
    pi = _mod("modules.paths_internal")
    out["paths"] = {a: str(getattr(pi, a, None)) for a in ("data_path", "models_path", "extensions_dir", "script_path")}

    # scripts
    out["scripts_data"] = [
        {"module": sd_.script_class.__module__, "class": sd_.script_class.__name__, "path": sd_.path}
        for sd_ in scripts.scripts_data
    ]
    xyz = [sd_ for sd_ in scripts.scripts_data if "xyz" in sd_.path.lower()]
    if xyz:
        mod = getattr(xyz[0], "module", None) or sys.modules.get(xyz[0].script_class.__module__)
        ao = getattr(mod, "AxisOption", None)
        out["xyz"] = {
            "module_name": xyz[0].script_class.__module__,
            "path": xyz[0].path,
            "class": xyz[0].script_class.__name__,
            "AxisOption": _src(ao) if ao else None,
            "AxisOption.__init__": _sig(ao.__init__) if ao else None,
            "has axis_options": hasattr(mod, "axis_options"),
            "len axis_options": len(getattr(mod, "axis_options", []) or []),
            "has builtin_options": hasattr(mod, "builtin_options"),
            "axis_options is builtins.builtin_options": getattr(getattr(mod, "builtins", None), "builtin_options", None)
            is getattr(mod, "axis_options", 0),
            "ScriptClassData fields": list(getattr(type(xyz[0]), "_fields", []) or []),
            "axis labels": [getattr(x, "label", None) for x in getattr(mod, "axis_options", [])],
        }
    it = _mod("modules.infotext_utils")
    out["infotext_utils"] = (
        repr(it)
        if isinstance(it, Exception)
        else {
            "PasteField": _sig(it.PasteField) if hasattr(it, "PasteField") else None,
            "PasteField fields": list(getattr(getattr(it, "PasteField", None), "_fields", []) or []),
            "has infotext_to_setting_name_mapping": hasattr(it, "infotext_to_setting_name_mapping"),
        }
    )
    out["script_callbacks"] = {
        "add_callback": _sig(script_callbacks.add_callback) if hasattr(script_callbacks, "add_callback") else None,
        "on_infotext_pasted": _sig(script_callbacks.on_infotext_pasted)
        if hasattr(script_callbacks, "on_infotext_pasted")
        else None,
        "on_before_ui": hasattr(script_callbacks, "on_before_ui"),
        "on_list_optimizers": hasattr(script_callbacks, "on_list_optimizers"),
    }
    return out


def _on_app_started(_demo, app):
    @app.get("/acc-probe/facts")
    def _facts():
        import json

        return json.loads(json.dumps(facts(), default=str))


try:
    from modules import script_callbacks as _sc

    _sc.on_app_started(_on_app_started)
except Exception as _e:  # noqa: BLE001
    print("acc-probe: not registered:", _e)
