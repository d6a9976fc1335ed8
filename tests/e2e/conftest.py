"""End-to-end layer: a running WebUI with Accelerator installed (WEBUI_URL), normally started by
`python -m tests.e2e.stack run`, which also serves the LoRA files and writes ACC_E2E_MANIFEST."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

requests = pytest.importorskip("requests")

URL = os.environ.get("WEBUI_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(not URL, reason="WEBUI_URL is not set: run `python -m tests.e2e.stack run`")


class WebUI:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy: the server is on 127.0.0.1

    def get(self, path: str) -> Any:
        response = self.session.get(self.url + path, timeout=60)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, payload: dict[str, Any], timeout: float = 900) -> requests.Response:
        return self.session.post(self.url + path, json=payload, timeout=timeout)

    def generate(self, kind: str = "txt2img", **payload: Any) -> dict[str, Any]:
        base = {
            "prompt": "a red cube on a table",
            "seed": 1234,
            "width": 64,
            "height": 64,
            "steps": 3,
            "sampler_name": "Euler a",
            "cfg_scale": 7,
            "send_images": True,
            "save_images": False,
        }
        response = self.post(f"/sdapi/v1/{kind}", {**base, **payload})
        assert response.status_code == 200, response.text[:2000]
        result = response.json()
        result["info"] = json.loads(result["info"])
        _record(kind, payload, result)
        return result


def _record(kind: str, payload: dict[str, Any], result: dict[str, Any]) -> None:
    """Keep each request's infotext and image digest (ACC_E2E_RECORD), for the issue notes and debugging."""
    path = os.environ.get("ACC_E2E_RECORD")
    if not path:
        return
    entry = {
        "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
        "kind": kind,
        "accelerator": payload.get("alwayson_scripts", {}).get("accelerator"),
        "infotexts": result["info"].get("infotexts", []),
        "digests": [hashlib.sha256(base64.b64decode(i)).hexdigest()[:16] for i in result.get("images", [])],
    }
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def accelerate(**values: Any) -> dict[str, Any]:
    return {"accelerator": {"args": [{"enabled": True, **values}]}}


def image_digest(result: dict[str, Any], index: int = 0) -> str:
    return hashlib.sha256(base64.b64decode(result["images"][index])).hexdigest()


def image_pixels(result: dict[str, Any], index: int = 0) -> Any:
    import numpy as np
    from PIL import Image  # only the diff helpers need Pillow

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(result["images"][index]))).convert("RGB"), dtype=np.int16)


def pixel_digest(result: dict[str, Any], index: int = 0) -> str:
    """A digest of the decoded pixels. A PNG's bytes hold its infotext too, so two images whose infotexts
    differ never have equal PNG digests: "the LoRA changed the image" must be asked of the pixels."""
    return hashlib.sha256(image_pixels(result, index).tobytes()).hexdigest()


def infotext(result: dict[str, Any], index: int = 0) -> str:
    return str(result["info"]["infotexts"][index])


_PARAM = re.compile(r'\s*([\w ./+-]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def params(result: dict[str, Any], index: int = 0) -> dict[str, str]:
    """The `Key: value` pairs of an infotext's last line, quoted values unquoted (as the WebUI reads them)."""
    last = infotext(result, index).strip().split("\n")[-1]
    return {k.strip(): json.loads(v) if v.startswith('"') else v.strip() for k, v in _PARAM.findall(last)}


@pytest.fixture(scope="session")
def webui() -> WebUI:
    return WebUI(URL)


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    path = os.environ.get("ACC_E2E_MANIFEST")
    if not path:
        pytest.skip("ACC_E2E_MANIFEST is not set: run `python -m tests.e2e.stack run`")
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def host_kind() -> str:
    return os.environ.get("WEBUI_HOST", "a1111")


# Hosts whose sampling drops the unconditional pass at CFG 1 by themselves (Forge's backends, diffusers):
# Accelerator's CFG-1 fast path never starts there.
SKIPS_UNCOND_BY_ITSELF = frozenset({"forge", "reforge", "forge_classic", "sdnext"})


@pytest.fixture(scope="session")
def skips_uncond(host_kind: str) -> bool:
    return host_kind in SKIPS_UNCOND_BY_ITSELF


def variants_for(manifest: dict[str, Any], family: str) -> list[dict[str, Any]]:
    return [v for v in manifest["variants"] if v["family"] == family]


# Options that Accelerator may change for one job only; after every test they must be back.
_JOB_ONLY_OPTIONS = ("skip_early_cond", "img2img_fix_steps")


@pytest.fixture(autouse=True)
def options_come_back(request: pytest.FixtureRequest) -> Any:
    """Fail the test after which an option that Accelerator sets for one job is still changed."""
    if not URL:
        yield
        return
    webui = WebUI(URL)
    before = {key: webui.get("/sdapi/v1/options").get(key) for key in _JOB_ONLY_OPTIONS}
    yield
    after = {key: webui.get("/sdapi/v1/options").get(key) for key in _JOB_ONLY_OPTIONS}
    changed = {k: (before[k], after[k]) for k in _JOB_ONLY_OPTIONS if (before[k] or 0) != (after[k] or 0)}
    assert not changed, f"{request.node.name} left options changed (before, after): {changed}"
