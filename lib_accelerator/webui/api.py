"""Accelerator's own HTTP routes, under /accelerator/v1/ (registered when the WebUI's app starts)."""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Any

from fastapi import Body, HTTPException
from modules import shared
from modules.call_queue import queue_lock

from lib_accelerator import compatibility
from lib_accelerator.families import LoadedModel, family_label
from lib_accelerator.presets.catalog import Variant
from lib_accelerator.presets.lora_file import LoraFile
from lib_accelerator.webui import compare, hosts, services

_SETTINGS = {f.name for f in fields(compare.Settings)}


def _begin(state: Any, job: str) -> None:
    """A1111 and Forge name the job with `job=`; SD.Next's `State.begin(title, task_id, api)` has no such keyword."""
    if "job" in inspect.signature(state.begin).parameters:
        state.begin(job=job)
    else:
        state.begin(job)


def _compare(payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008 - FastAPI's idiom
    unknown = sorted(set(payload) - _SETTINGS - {"methods"})
    if unknown:
        allowed = ", ".join(sorted(_SETTINGS | {"methods"}))
        raise HTTPException(status_code=422, detail=f"unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    if not str(payload.get("prompt", "")).strip():
        raise HTTPException(status_code=422, detail="'prompt' is required")
    try:
        settings = compare.Settings.parse({k: v for k, v in payload.items() if k in _SETTINGS})
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    with queue_lock:
        _begin(shared.state, "accelerator-compare")
        try:
            result = compare.run(settings, payload.get("methods"))
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        finally:
            shared.state.end()
    return {
        "grid": compare.encode_png(result.grid),
        "labels": result.labels,
        "seconds": result.seconds,
        "infotexts": result.infotexts,
        "info": result.grid_infotext,
    }


def _file(file: LoraFile) -> dict[str, Any]:
    return {"save_as": file.save_as, "size": file.size, "role": file.role, "local": file.local}


def _variant(variant: Variant, model: LoadedModel) -> dict[str, Any]:
    problem = compatibility.check(variant, model) if model.family else None
    return {
        "id": variant.id,
        "family": variant.family,
        "label": variant.label,
        "steps": variant.steps,
        "cfg": variant.cfg,
        "strength": variant.strength,
        "shift": variant.shift,
        "base_variants": list(variant.base_variants),
        "recipe_only": variant.recipe_only,
        # The primary file (the one the tag names), "" for a recipe-only variant; every file in `files`.
        "file": variant.file.save_as,
        "files": [_file(f) for f in variant.files],
        "size": variant.size,
        # Why the loaded checkpoint cannot use it (base variant, precision), or null when it can.
        "refused": problem.removeprefix("Accelerator: ") if problem else None,
    }


def _methods() -> dict[str, Any]:
    """What the loaded model can use, with each variant's settings and files."""
    model = hosts.current().what_is_loaded()
    family = model.family
    loaded = services.catalog()
    methods = loaded.methods_for(family) if family else loaded.methods
    return {
        "family": family,
        "family_label": family_label(family),
        "base_variant": model.base_variant,
        "precision": model.precision,
        "methods": [
            {
                "id": m.id,
                "name": m.name,
                "license": m.license,
                "experimental": m.experimental,
                "variants": [_variant(v, model) for v in m.variants if family is None or v.family == family],
            }
            for m in methods
        ],
        "errors": [str(e) for e in loaded.errors],
    }


def register(_demo: Any, app: Any) -> None:
    app.add_api_route("/accelerator/v1/compare", _compare, methods=["POST"])
    app.add_api_route("/accelerator/v1/methods", _methods, methods=["GET"])
