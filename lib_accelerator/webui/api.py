"""Accelerator's own HTTP routes, under /accelerator/v1/ (registered when the WebUI's app starts)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fastapi import Body, HTTPException
from modules import shared
from modules.call_queue import queue_lock

from lib_accelerator.families import family_label
from lib_accelerator.webui import compare, hosts, services

_SETTINGS = {f.name for f in fields(compare.Settings)}


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
        shared.state.begin(job="accelerator-compare")
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


def _methods() -> dict[str, Any]:
    """What the loaded model can use, with each default variant's settings."""
    family = hosts.current().loaded_family()
    loaded = services.catalog()
    methods = loaded.methods_for(family) if family else loaded.methods
    return {
        "family": family,
        "family_label": family_label(family),
        "methods": [
            {
                "id": m.id,
                "name": m.name,
                "license": m.license,
                "experimental": m.experimental,
                "variants": [
                    {
                        "id": v.id,
                        "family": v.family,
                        "label": v.label,
                        "steps": v.steps,
                        "cfg": v.cfg,
                        "strength": v.strength,
                        "file": v.file.save_as,
                        "size": v.file.size,
                    }
                    for v in m.variants
                    if family is None or v.family == family
                ],
            }
            for m in methods
        ],
        "errors": [str(e) for e in loaded.errors],
    }


def register(_demo: Any, app: Any) -> None:
    app.add_api_route("/accelerator/v1/compare", _compare, methods=["POST"])
    app.add_api_route("/accelerator/v1/methods", _methods, methods=["GET"])
