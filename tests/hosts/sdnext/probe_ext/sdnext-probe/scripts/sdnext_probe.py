"""Probe extension for SD.Next host checks: records which Script hooks run, with what args, and whether
settings made in process() take effect. Results: GET /sdnext-probe/log. Not part of Accelerator."""

import json

import gradio as gr
from modules import script_callbacks, scripts, shared

LOG = []


def rec(hook, p, args, **extra):
    LOG.append(
        {
            "hook": hook,
            "args": [repr(a) for a in args],
            "cls": type(p).__name__,
            "all_prompts": list(getattr(p, "all_prompts", []) or [])[:2],
            "prompts": list(getattr(p, "prompts", []) or [])[:2],
            "steps": p.steps,
            "cfg_scale": p.cfg_scale,
            "sampler_name": p.sampler_name,
            "spacing": getattr(p, "schedulers_timestep_spacing", None),
            "eta": getattr(p, "scheduler_eta", None),
            "model_type": shared.sd_model_type,
            "pipe": type(shared.sd_model).__name__ if shared.sd_loaded else None,
            "is_sdxl": getattr(shared.sd_model, "is_sdxl", None) if shared.sd_loaded else None,
            "scheduler": type(getattr(shared.sd_model, "scheduler", None)).__name__ if shared.sd_loaded else None,
            **extra,
        }
    )


class ProbeScript(scripts.Script):
    def title(self):
        return "SDNext Probe"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        with gr.Accordion("SDNext Probe", open=False, elem_id=self.elem_id("accordion")):
            enabled = gr.Checkbox(False, label="Probe enabled", elem_id=self.elem_id("enabled"))
            steps = gr.Slider(1, 50, value=3, step=1, label="Probe steps", elem_id=self.elem_id("steps"))
        self.infotext_fields = [(enabled, lambda d: "Probe" in d), (steps, "Probe steps")]
        self.paste_field_names = ["Probe steps"]
        return [enabled, steps]

    def setup(self, p, *args):
        rec("setup", p, args)

    def before_process(self, p, *args):
        rec("before_process", p, args)

    def process(self, p, *args):
        rec("process", p, args)
        enabled = args[0] if args else False
        if isinstance(enabled, dict):  # API dict form
            cfg = enabled
            enabled, steps = cfg.get("enabled", False), cfg.get("steps", 3)
        else:
            steps = args[1] if len(args) > 1 else 3
        if not enabled:
            return
        p.steps = int(steps)
        p.cfg_scale = 1.0
        p.sampler_name = "Euler"
        p.schedulers_timestep_spacing = "trailing"
        p.scheduler_eta = 0.3
        p.all_prompts = [x + " <lora:acc_kohya:1>" for x in p.all_prompts]
        p.extra_generation_params["Probe"] = "on"
        p.extra_generation_params["Probe steps"] = int(steps)

    def before_process_batch(self, p, *args, **kwargs):
        rec("before_process_batch", p, args, kw=sorted(kwargs))

    def process_batch(self, p, *args, **kwargs):
        rec(
            "process_batch",
            p,
            args,
            kw=sorted(kwargs),
            network_data=str(dict(getattr(p, "network_data", {}) or {}))[:200],
        )

    def postprocess_batch(self, p, *args, **kwargs):
        rec(
            "postprocess_batch",
            p,
            args,
            kw=sorted(kwargs),
            scheduler_config={
                k: v
                for k, v in dict(getattr(shared.sd_model.scheduler, "config", {})).items()
                if k in ("timestep_spacing", "prediction_type")
            },
        )

    def postprocess(self, p, processed, *args):
        rec("postprocess", p, args, info=(processed.infotexts or [""])[0][-400:])


def on_app_started(demo, app):
    @app.get("/sdnext-probe/log")
    def _log():
        return LOG

    @app.post("/sdnext-probe/clear")
    def _clear():
        LOG.clear()
        return {"ok": True}

    @app.get("/sdnext-probe/env")
    def _env():
        out = {}
        try:
            from scripts.xyz import xyz_grid_classes

            out["xyz_module"] = xyz_grid_classes.__name__
            out["xyz_probe_axis"] = any(o.label == "[Probe] Steps" for o in xyz_grid_classes.axis_options)
        except Exception as e:  # noqa
            out["xyz_error"] = repr(e)
        from modules import sd_samplers

        out["samplers"] = len(sd_samplers.visible_samplers())
        out["probe_option"] = shared.opts.data_labels.get("sdnext_probe_flag") is not None
        out["probe_option_value"] = getattr(shared.opts, "sdnext_probe_flag", None)
        out["scripts_data_xyz"] = [d.path for d in scripts.scripts_data if "xyz" in d.path]
        out["pasted"] = PASTED[-1:] if PASTED else []
        return out


PASTED = []


def on_infotext_pasted(infotext, params):
    PASTED.append(sorted(params)[:50])


def on_ui_settings():
    shared.opts.add_option(
        "sdnext_probe_flag",
        shared.OptionInfo(False, "Probe flag", gr.Checkbox, section=("sdnext_probe", "SDNext Probe")),
    )


def on_before_ui():
    try:
        from scripts.xyz import xyz_grid_classes
        from scripts.xyz.xyz_grid_shared import apply_field

        xyz_grid_classes.axis_options.append(xyz_grid_classes.AxisOption("[Probe] Steps", int, apply_field("steps")))
    except Exception as e:  # noqa
        LOG.append({"hook": "before_ui", "error": repr(e)})


script_callbacks.on_app_started(on_app_started)
script_callbacks.on_infotext_pasted(on_infotext_pasted)
script_callbacks.on_ui_settings(on_ui_settings)
script_callbacks.on_before_ui(on_before_ui)
print(json.dumps({"sdnext_probe": "loaded"}))
