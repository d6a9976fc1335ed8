""" "Compare methods": the current prompt and seed under every method for the loaded family, plus the
user's own settings, timed, in one labelled grid saved like any X/Y/Z grid. Also `POST
/accelerator/v1/compare` for API users.
"""

from __future__ import annotations

import base64
import functools
import io
import random
import time
from dataclasses import dataclass
from typing import Any

from modules import images, processing, scripts, shared

from lib_accelerator import compare
from lib_accelerator.download.errors import DownloadError
from lib_accelerator.names import AUTOMATIC
from lib_accelerator.webui import hosts, services

SEED_LIMIT = 2**32 - 1


@dataclass(frozen=True)
class Settings:
    """The user's own generation settings, as in the WebUI's main controls."""

    prompt: str
    negative_prompt: str = ""
    steps: int = 20
    sampler_name: str = "Euler a"
    scheduler: str = AUTOMATIC
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    seed: int = -1

    @classmethod
    def parse(cls, values: dict[str, Any]) -> Settings:
        """From the UI's controls or JSON, with each value of its field's type: a JSON `7` for the CFG
        would otherwise be written as "CFG scale: 7" where the WebUI writes "7.0"."""
        kinds = {"steps": int, "width": int, "height": int, "seed": int, "cfg_scale": float}
        typed = {}
        for name, value in values.items():
            if value is None:
                continue
            try:
                typed[name] = kinds.get(name, str)(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"Accelerator: {name} must be a number, got {value!r}") from error
        return cls(**typed)


@dataclass(frozen=True)
class Result:
    grid: Any
    labels: list[str]
    seconds: list[float]
    infotexts: list[str]
    grid_infotext: str


def _script_args(runner: Any, ours: Any, request: dict[str, Any]) -> tuple[Any, ...]:
    """Every always-on script's default values, with Accelerator's slot set to `request`."""
    values = [0, *(getattr(component, "value", None) for component in runner.inputs[1:])]
    if len(values) < ours.args_to:
        values = list(_defaults_from_ui(runner))  # a copy: the cached defaults stay as they are
    values[ours.args_from] = request
    return tuple(values)


@functools.cache
def _defaults_from_ui(runner: Any) -> list[Any]:
    """SD.Next's runner keeps no inputs for the always-on scripts; its API builds their defaults by running each
    script's `ui()` (`modules/api/script.py` `init_default_script_args`), once per runner, as here."""
    from modules.api import script as api_script

    return list(api_script.init_default_script_args(runner))


def _accelerator_script(runner: Any) -> Any:
    return next(s for s in runner.alwayson_scripts if s.title() == "Accelerator")


def _generate(settings: Settings, seed: int, cell: compare.Cell) -> tuple[Any, float, str]:
    runner = scripts.scripts_txt2img
    p = processing.StableDiffusionProcessingTxt2Img(
        sd_model=shared.sd_model,
        outpath_samples=shared.opts.outdir_samples or shared.opts.outdir_txt2img_samples,
        outpath_grids=shared.opts.outdir_grids or shared.opts.outdir_txt2img_grids,
        prompt=settings.prompt, negative_prompt=settings.negative_prompt, seed=seed,
        steps=settings.steps, sampler_name=settings.sampler_name, cfg_scale=settings.cfg_scale,
        width=settings.width, height=settings.height, do_not_save_grid=True,
    )  # fmt: skip
    # Like the WebUI's own API: "Automatic" is left unset, because A1111 1.9.4 writes a set
    # "Automatic" into the infotext and the off cell would then differ from a plain job's.
    if hasattr(p, "scheduler") and settings.scheduler != AUTOMATIC:
        p.scheduler = settings.scheduler
    p.is_api = True  # the built-in Sampler/Seed scripts would otherwise put their UI defaults back
    p.scripts = runner
    request = cell.request
    ours = _accelerator_script(runner)
    wanted = {"enabled": request.enabled, "method": request.method, "variant": request.variant}
    p.script_args = _script_args(runner, ours, wanted)
    if isinstance(getattr(p, "per_script_args", None), dict):
        # SD.Next takes a script's args by its title first (modules/scripts_manager.py:674)
        p.per_script_args = {**p.per_script_args, ours.title(): [wanted]}
    started = time.perf_counter()
    try:
        processed = processing.process_images(p)
    finally:
        p.close()
    if not processed.images:
        raise RuntimeError(f"{cell.label}: no image ({processed.comments.strip() or 'see the console'})")
    return processed.images[0], time.perf_counter() - started, processed.infotexts[0]


def run(settings: Settings, methods: list[str] | None = None) -> Result:
    model = hosts.current().what_is_loaded()
    if model.family is None:
        raise ValueError("Accelerator: the loaded model is not one Accelerator knows; nothing to compare")
    seed = settings.seed if settings.seed != -1 else random.randrange(SEED_LIMIT)
    # With what is loaded: a method whose file does not fit its base variant or precision gets no cell.
    chosen = compare.cells(services.catalog(), model, methods)
    # Files first (every file of a variant), so that a cell's seconds are the generation's, never a download's.
    for cell in chosen:
        if cell.request.enabled:
            shared.state.textinfo = f"Compare methods: checking the files of {cell.label}"
            try:
                services.prefetch({"method": cell.request.method, "variant": cell.request.variant}, model)
            except DownloadError as error:
                raise ValueError(str(error)) from error
    outputs = []
    for number, cell in enumerate(chosen, start=1):
        shared.state.textinfo = f"Compare methods {number}/{len(chosen)}: {cell.label}"
        if shared.state.interrupted:
            break
        outputs.append(_generate(settings, seed, cell))
    labels = [compare.label(cell, seconds) for cell, (_, seconds, _) in zip(chosen, outputs, strict=False)]
    drawing = hosts.current().grid_drawing()
    grid = drawing.image_grid([image for image, _, _ in outputs], rows=1)
    width, height = outputs[0][0].size
    grid = drawing.draw_grid_annotations(grid, width, height, [[drawing.GridAnnotation(t)] for t in labels], [[]])
    summary = compare.infotext_line(
        [c.label for c in chosen[: len(outputs)]],
        [c.request.variant for c in chosen[: len(outputs)]],
        [seconds for _, seconds, _ in outputs],
    )
    grid_info = f"{outputs[0][2]}\n{summary}"
    images.save_image(
        grid, shared.opts.outdir_grids or shared.opts.outdir_txt2img_grids, "accelerator-compare",
        seed=seed, prompt=settings.prompt, extension=shared.opts.grid_format, info=grid_info, grid=True,
    )  # fmt: skip
    return Result(grid, labels, [s for _, s, _ in outputs], [info for _, _, info in outputs], grid_info)


def encode_png(image: Any) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
