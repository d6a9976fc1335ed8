"""Wire the accordion's "Compare methods" button to the txt2img tab's own controls and gallery.

The button is made inside the script's `ui()`, but the prompt, seed, sampler... and the gallery belong to
the WebUI; they are collected as they are created, and the click is wired when the gallery appears
(it is created after every script's UI).
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from lib_accelerator.webui import compare
from lib_accelerator.webui.log import LOG as log

# Settings field -> elem_id of the txt2img control that holds it (A1111 1.9+ and Forge)
FIELDS = {
    "prompt": "txt2img_prompt",
    "negative_prompt": "txt2img_neg_prompt",
    "steps": "txt2img_steps",
    "sampler_name": "txt2img_sampling",
    "scheduler": "txt2img_scheduler",
    "cfg_scale": "txt2img_cfg_scale",
    "width": "txt2img_width",
    "height": "txt2img_height",
    "seed": "txt2img_seed",
}
GALLERY = "txt2img_gallery"


class Wiring:
    """Components seen while the UI is built; one instance serves the whole process."""

    def __init__(self) -> None:
        self.controls: dict[str, Any] = {}
        self.button: Any = None
        self.status: Any = None

    def offer_button(self, button: Any, status: Any) -> None:
        self.button, self.status = button, status

    def after_component(self, component: Any, **kwargs: Any) -> None:
        elem_id = str(kwargs.get("elem_id") or getattr(component, "elem_id", None) or "")
        if elem_id in FIELDS.values():
            self.controls[elem_id] = component
        elif elem_id == GALLERY and self.button is not None:
            self._wire(component)

    def _wire(self, gallery: Any) -> None:
        from modules.call_queue import wrap_gradio_gpu_call

        names = [name for name, elem_id in FIELDS.items() if elem_id in self.controls]
        if "prompt" not in names:
            log.warning("Accelerator: the txt2img prompt was not found; 'Compare methods' is not available")
            return

        def on_click(*values: Any) -> tuple[Any, str]:
            given = dict(zip(names, values, strict=True))
            try:
                result = compare.run(compare.Settings.parse(given))
            except (ValueError, RuntimeError) as error:  # no family, no file, no image: say which
                log.error("%s", error)
                warning = html.escape(str(error))
                return gr.update(), f"<div class='accelerator-status accelerator-warning'>{warning}</div>"
            lines = "<br>".join(html.escape(label.replace("\n", " · ")) for label in result.labels)
            return [result.grid], f"<div class='accelerator-status'>{lines}</div>"

        self.button.click(
            fn=wrap_gradio_gpu_call(on_click, extra_outputs=[None, ""]),
            inputs=[self.controls[FIELDS[name]] for name in names],
            outputs=[gallery, self.status],
        )


WIRING = Wiring()
