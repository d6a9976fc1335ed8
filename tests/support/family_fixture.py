"""The 2025-26 families in the end-to-end layer: user presets that mirror the built-in Qwen-Image-Lightning and
Wan 2.2 Lightning variants with their real settings, whose files are the tiny LoRAs that
`tests/hosts/sdnext/tiny_pipelines.py` made for its tiny pipelines, served by the fake hub.

The built-in recipe-only variants (Z-Image-Turbo, FLUX.2 Klein) need no mirror: they fetch nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from lib_accelerator.presets.catalog import builtin_presets_dir

PREFIX = "e2e-"
REVISION = "e2e0" + "0" * 35 + "2"
# SD.Next settings for a run with the tiny pipelines (file:line at 058a7f0c):
# - diffusers_dir: where SD.Next lists local diffusers folders as checkpoints (`modules/modelloader.py:117-141`);
# - te_shared_te: off, or the Qwen-Image, Z-Image and FLUX.2 Klein loaders fetch their text encoder from another
#   repo id (`pipelines/generic_text_encoder.py:101,146-156`, `pipelines/generic_shared.py:41-70`), not the
#   folder's own tiny one;
# - model_wan_stage: "combined" loads both Wan 2.2 A14B experts (`pipelines/model_wanai.py:43-47`); SD.Next's
#   default "low noise" loads only transformer_2.
STAGE = "combined"


def tiny_root() -> Path:
    default = Path(os.environ.get("ACC_ROOT", Path.home() / "webui-harness")) / "tiny-pipelines"
    return Path(os.environ.get("ACC_TINY_PIPELINES", default))


def tiny_manifest(root: Path | None = None) -> dict[str, Any] | None:
    path = (root or tiny_root()) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def sdnext_settings(root: Path) -> dict[str, object]:
    return {"diffusers_dir": str(root / "Diffusers"), "te_shared_te": False, "model_wan_stage": STAGE}


def _serve(hub: Path, method: str, source: Path, save_as: str, role: str = "") -> dict[str, Any]:
    target = hub / "acc-e2e" / method / REVISION / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    blob = target.read_bytes()
    entry: dict[str, Any] = {"role": role} if role else {}
    entry.update({
        "repo_id": f"acc-e2e/{method}", "filename": source.name, "revision": REVISION,
        "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob), "save_as": save_as,
    })  # fmt: skip
    return entry


def _mirror(method: dict[str, Any], keep: Any, files: Any) -> dict[str, Any]:
    mirrored = copy.deepcopy(method)
    mirrored["id"] = "e2e_" + method["id"]
    mirrored["name"] = "E2E " + method["name"]
    mirrored["variants"] = []
    for variant in method["variants"]:
        if keep(variant):
            served = files(variant)
            variant = {k: v for k, v in variant.items() if k not in ("file", "files")}
            mirrored["variants"].append({**variant, "id": PREFIX + variant["id"], **served})
    return mirrored


def make_family_fixture(hub: Path, presets: Path, root: Path) -> dict[str, Any] | None:
    """Presets and hub files for the tiny families; what the tests need to know, or None without tiny pipelines."""
    tiny = tiny_manifest(root)
    if tiny is None:
        return None
    loras = {entry["filename"]: entry for entry in tiny["loras"]}
    qwen_files = {e["base_variant"]: root / "loras" / name for name, e in loras.items() if e["family"] == "qwen_image"}
    wan = {e["role"]: root / "loras" / name for name, e in loras.items() if e["family"] == "wan22"}

    def builtin(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((builtin_presets_dir() / name).read_text(encoding="utf-8"))
        return data

    qwen = builtin("qwen_lightning.json")
    qwen_mirror = _mirror(
        qwen,
        lambda v: v["base_variants"][0] in qwen_files,
        lambda v: {"file": _serve(hub, qwen["id"], qwen_files[v["base_variants"][0]], PREFIX + v["file"]["save_as"])},
    )
    wan_preset = builtin("wan22_lightning.json")
    wan_mirror = _mirror(
        wan_preset,
        lambda v: v["base_variants"] == ["t2v-a14b"],
        lambda v: {"files": [_serve(hub, wan_preset["id"], wan[f["role"]], PREFIX + f["save_as"], f["role"])
                             for f in v["files"]]},
    )  # fmt: skip
    for method in (qwen_mirror, wan_mirror):
        (presets / f"{method['id']}.json").write_text(json.dumps(method, indent=1), encoding="utf-8")
    variants = [{"method": m["id"], **v} for m in (qwen_mirror, wan_mirror) for v in m["variants"]]
    return {"root": str(root), "checkpoints": tiny["checkpoints"], "variants": variants, "wan_stage": STAGE}
