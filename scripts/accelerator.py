"""Accelerator: one-click few-step acceleration LoRAs. The WebUI executes this file; the work lives in
`lib_accelerator` (pure core) and `lib_accelerator.webui` (the WebUI glue)."""

from modules import scripts

from lib_accelerator.webui import callbacks, generation, ui


class AcceleratorScript(scripts.Script):
    section = "accordions"
    create_group = False

    def title(self):
        return "Accelerator"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        controls, self.infotext_fields = ui.build(self.elem_id, is_img2img)
        return controls

    def before_process(self, p, *args):
        generation.before_process(p, args)

    def process(self, p, *args):
        generation.process(p, args)

    def postprocess_batch(self, p, *args, **kwargs):
        generation.postprocess_batch(p)


callbacks.register()
