"""Boot the real WebUI `modules` of a checkout inside the test process, without a server or a model.

The WebUI's own `test/` suite and large extensions do the same: set IGNORE_CMD_ARGS_ERRORS so the WebUI's
argument parser tolerates pytest's arguments, put the checkout on `sys.path`, `chdir` there and import
`modules`. Everything the WebUI writes (config.json, styles, caches) goes to a temporary `--data-dir`, so the
checkout is left as it was. No checkpoint is loaded: `--skip-load-model-at-start` and nothing here touches
`shared.sd_model`.

This module imports nothing from the WebUI at import time, so it is safe to import without a checkout.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENV_ROOT = "WEBUI_ROOT"
EXTENSION_ROOT = Path(__file__).resolve().parents[2]
ACCELERATOR_SCRIPT = EXTENSION_ROOT / "scripts" / "accelerator.py"


@dataclass(frozen=True)
class WebUI:
    root: Path
    forge: bool  # Forge main (lllyasviel): the `backend` package
    data_dir: Path
    kind: str = "a1111"  # which adapter should run here, told apart by the tree: checked against the adapter's choice

    @property
    def flavour(self) -> str:
        return "forge" if self.forge else "a1111"

    @property
    def ldm_patched(self) -> bool:
        """Forge's first backend (reForge, Forge Classic): CFG 1 skips the unconditional pass there too."""
        return self.kind in ("reforge", "forge_classic")


def checkout_or_reason() -> tuple[Path | None, str]:
    """The checkout named by WEBUI_ROOT, or None and why the contract tests cannot run."""
    value = os.environ.get(ENV_ROOT, "").strip()
    if not value:
        return None, f"{ENV_ROOT} is not set: contract tests need a WebUI checkout (see tests/run_contract.sh)"
    root = Path(value).expanduser().resolve()
    if not (root / "modules" / "shared.py").is_file() or not (root / "launch.py").is_file():
        return None, f"{ENV_ROOT}={value} is not a Stable Diffusion WebUI checkout (no modules/shared.py, launch.py)"
    return root, ""


def is_forge_checkout(root: Path) -> bool:
    """Told apart by the tree, independently of the feature detection under test in the host adapters."""
    return (root / "modules_forge").is_dir() and (root / "backend").is_dir()


def checkout_kind(root: Path) -> str:
    """The host a checkout is, from its tree (the adapters detect it from what imports; the two must agree)."""
    if is_forge_checkout(root):
        return "forge"
    if (root / "ldm_patched").is_dir():
        return "reforge" if (root / "modules" / "sd_schedulers.py").is_file() else "forge_classic"
    return "a1111"


def _command_line(kind: str, data_dir: Path) -> list[str]:
    common = [
        "--data-dir",
        str(data_dir),
        "--skip-load-model-at-start",
        "--skip-version-check",
        "--skip-python-version-check",
        "--skip-torch-cuda-test",
        "--no-download-sd-model",
    ]
    if kind != "a1111":  # Forge's backends take their own CPU flags
        return [*common, "--always-cpu", "--all-in-fp32"]
    return [*common, "--use-cpu", "all", "--no-half", "--no-half-vae"]


@functools.lru_cache(maxsize=1)
def boot(root: Path) -> WebUI:
    """Import the checkout's `modules` once per process and initialise what the glue needs.

    That is what `webui.py` does before `initialize()`: `initialize.imports()` (shared options, state,
    styles, the processing module and the UI modules), Forge's `initialize_forge()` before it, and
    `sd_samplers.set_samplers()` from `initialize_rest()`. Loading a model, scripts and extensions is left out.
    """
    forge = is_forge_checkout(root)
    kind = checkout_kind(root)
    data_dir = Path(tempfile.mkdtemp(prefix="accelerator-contract-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)

    os.environ["IGNORE_CMD_ARGS_ERRORS"] = "1"
    os.environ.pop("COMMANDLINE_ARGS", None)  # the WebUI appends it to sys.argv
    for name, value in (
        ("GRADIO_ANALYTICS_ENABLED", "False"),
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("DO_NOT_TRACK", "1"),
    ):
        os.environ.setdefault(name, value)

    saved_argv = sys.argv[:]
    sys.argv = [saved_argv[0] if saved_argv else "pytest", *_command_line(kind, data_dir)]
    os.chdir(root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        if kind != "a1111":
            from modules_forge.initialization import initialize_forge

            initialize_forge()

        from modules import initialize

        initialize.imports()

        from modules import sd_samplers

        sd_samplers.set_samplers()
    finally:
        sys.argv = saved_argv
    return WebUI(root=root, forge=forge, data_dir=data_dir, kind=kind)


def load_script_module(path: Path, basedir: Path | None = None):
    """Execute a script file the way `modules.scripts.load_scripts` does: through
    `script_loading.load_module`, and for an extension's script with its folder first on `sys.path` and
    as `scripts.current_basedir` while the file runs (`basedir=None`: a script of the WebUI itself)."""
    from modules import paths, script_loading, scripts

    saved_path = sys.path
    try:
        if basedir is not None:
            sys.path = [str(basedir), *sys.path]
            scripts.current_basedir = str(basedir)
        return script_loading.load_module(str(path))
    finally:
        sys.path = saved_path
        scripts.current_basedir = paths.script_path


@functools.lru_cache(maxsize=1)
def accelerator_module():
    """scripts/accelerator.py loaded once per process, as the WebUI loads it once at startup (loading
    it registers the extension's callbacks). Forge Classic's script_loading keeps no `loaded_scripts`."""
    from modules import script_loading

    loaded = getattr(script_loading, "loaded_scripts", {}).get(str(ACCELERATOR_SCRIPT))
    return loaded or load_script_module(ACCELERATOR_SCRIPT, basedir=EXTENSION_ROOT)


def api_apply_infotext(body: object, runner: object, mentioned: dict[int, object]) -> None:
    """The WebUI's own `Api.apply_infotext`, as the API runs it for a request with an `infotext` field.

    reForge's gradio4_main (fffe742c, modules/api/api.py:379) calls `get_origin` without importing it, so its
    API cannot read any infotext at all, with or without Accelerator: that one upstream defect skips the test
    with its name; any other error fails it."""
    import pytest
    from modules.api import api

    try:
        api.Api.apply_infotext(None, body, "txt2img", script_runner=runner, mentioned_script_args=mentioned)
    except NameError as error:
        where = error.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        if where is None or not where.tb_frame.f_code.co_filename.endswith(os.path.join("modules", "api", "api.py")):
            raise
        pytest.skip(f"this WebUI's own API cannot read an infotext (upstream: {error} in modules/api/api.py)")
