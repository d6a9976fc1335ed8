"""Stand up the real WebUI with Accelerator installed and LoRAs served from a local fake hub, then run
the end-to-end tests against it. Uses the WebUI prepared by ../shared/webui-harness (ACC_ROOT).

    python -m tests.e2e.stack run [--host a1111|a1111-1.9|forge|reforge|forge_classic|sdnext] [--sdxl] [-- PYTEST ARGS]

The fixture is a user preset folder made from the built-in presets: every method keeps its real
settings, but each file is a small random LoRA of the right family, served on 127.0.0.1. On SD.Next, when
`tests/hosts/sdnext/tiny_pipelines.py` has built its tiny pipelines (ACC_E2E_FAMILIES=0 leaves them out), the
2025-26 families come too: SD.Next lists those pipelines as checkpoints, and the Qwen-Image / Wan 2.2 Lightning
presets are mirrored onto their tiny LoRAs (`tests/support/family_fixture.py`). The tests read the hub's request
log from ACC_E2E_HUB_RECORDS.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from lib_accelerator.presets.catalog import builtin_presets_dir
from tests.fakehub.server import LOOPBACK_NO_PROXY, FakeHub
from tests.support import family_fixture
from tests.support.hub_records import HubRecords
from tests.support.loras import make_lora

REPO = Path(__file__).resolve().parents[2]
E2E_REVISION = "e2e0" + "0" * 35 + "1"
EXTENSION_NAME = "sd-webui-accelerator"
COMMON_FLAGS = [
    "--skip-prepare-environment",
    "--skip-install",
    "--skip-python-version-check",
    "--skip-torch-cuda-test",
    "--skip-version-check",
    "--disable-nan-check",
    "--api",
    "--server-name",
    "127.0.0.1",
    "--no-download-sd-model",
]
A1111_FLAGS = ["--use-cpu", "all", "--no-half", "--no-half-vae", "--do-not-download-clip"]


class Host(NamedTuple):
    folder: str  # checkout under ACC_ROOT
    venv: str
    port: int
    flags: list[str]
    # How a run with a --data-dir of its own finds the checkpoints: the flag, and the folder under ACC_ROOT it
    # names. None: the host takes no --data-dir. Forge started with one serves a page without any of the
    # WebUI's JavaScript (no script.js, no extension scripts: seen in headless Chromium, Forge dfdcbab6), so
    # its extension goes into the checkout's own folder.
    models: tuple[str, str] | None
    settings_flags: tuple[str, str] = ("--ui-settings-file", "--ui-config-file")
    extensions_flag: str | None = None  # where the run's own extensions folder is named, if not under --data-dir
    checkpoint: str | None = None  # a checkpoint to load at start (path under the models folder), where needed
    settings: dict[str, object] = {}  # noqa: RUF012 - a NamedTuple default, never mutated
    drop_env: tuple[str, ...] = ()  # variables the host must not inherit


A1111_COMMON = [*COMMON_FLAGS, *A1111_FLAGS]
# Forge's backends (Forge, reForge, Forge Classic) take their own CPU flags.
FORGE_FLAGS = [*COMMON_FLAGS, "--always-cpu", "--all-in-fp32"]
# SD.Next parses its arguments strictly and has none of A1111's --skip-* flags (tests/hosts/sdnext/README.md).
SDNEXT_FLAGS = [
    "--skip-all",
    "--skip-git",
    "--use-cpu",
    "all",
    "--no-half",
    "--no-half-vae",
    "--server-name",
    "127.0.0.1",
]
SDNEXT_SETTINGS: dict[str, object] = {
    "theme_type": "Standard",  # the Modern UI is a git submodule that the snapshot lacks
    "diffuser_cache_config": True,  # from_single_file takes the pipeline config from SD.Next's own configs/
    "sd_checkpoint_autoload": True,
    # offline_mode would set HF_HUB_OFFLINE=1 in the process at model load, which Accelerator honours: it could
    # not fetch the fixture's LoRAs from the fake hub. The configs are found in the local cache without it.
    "offline_mode": False,
    "live_previews_enable": False,
}
# A1111 1.9.4 shares 1.10.1's venv and models and has no --models-dir; neither has Forge Classic. Each host's
# folder and venv are what its setup script under tests/hosts/ (or the shared harness) makes.
HOSTS = {
    "a1111": Host("webui", "venv", 7871, A1111_COMMON, ("--models-dir", "webui/models")),
    "a1111-1.9": Host("webui-1.9.4", "venv", 7873, A1111_COMMON, ("--ckpt-dir", "webui/models/Stable-diffusion")),
    "forge": Host("forge", "forge-venv", 7872, FORGE_FLAGS, None),
    "reforge": Host("reforge", "reforge-venv", 7877, FORGE_FLAGS, ("--models-dir", "webui/models")),
    "forge_classic": Host(
        "forge-classic", "forge-classic-venv", 7878, FORGE_FLAGS, ("--ckpt-dir", "webui/models/Stable-diffusion")
    ),
    "sdnext": Host(
        "sdnext",
        "sdnext-venv",
        7879,
        SDNEXT_FLAGS,
        ("--models-dir", "sdnext/models"),
        settings_flags=("--config", "--ui-config"),
        extensions_flag="--extensions-dir",
        checkpoint="Stable-diffusion/random-sd15.safetensors",
        settings=SDNEXT_SETTINGS,
        # SD.Next points HF_HUB_CACHE at its own <models>/huggingface, where its setup put the pipeline configs.
        drop_env=("HF_HOME",),
    ),
}


def own_data_flags(host: str, data: Path, root: Path) -> list[str] | None:
    """`--data-dir` and the checkpoints for a run with a data folder of its own, or None where it has none."""
    known = HOSTS[host]
    if known.models is None:
        return None
    flag, folder = known.models
    flags = ["--data-dir", str(data), flag, str(root / folder)]
    if known.extensions_flag:
        flags += [known.extensions_flag, str(data / "extensions")]
    if known.checkpoint:
        flags += ["--ckpt", str(root / folder / known.checkpoint)]
    return flags


@dataclass(frozen=True)
class Harness:
    root: Path
    webui: Path
    python: Path
    port: int
    flags: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def find_harness(host: str) -> Harness | None:
    root = Path(os.environ.get("ACC_ROOT", Path.home() / "webui-harness"))
    known = HOSTS[host]
    port = int(os.environ.get("ACC_E2E_PORT", known.port))
    harness = Harness(root, root / known.folder, root / known.venv / "bin" / "python", port, known.flags)
    if (harness.webui / "launch.py").is_file() and harness.python.is_file():
        return harness
    return None


# Put before every fixture variant's id and file name, so they never collide with the built-in ones they mirror.
FIXTURE_PREFIX = "e2e-"


def make_fixture(folder: Path, families: tuple[str, ...], tiny: Path | None = None) -> dict[str, object]:
    """User presets mirroring every built-in method, each variant pointing at a fresh small LoRA."""
    hub, presets = folder / "hub", folder / "presets"
    presets.mkdir(parents=True, exist_ok=True)
    variants: list[dict[str, object]] = []
    seed = 100
    for source in sorted(builtin_presets_dir().glob("*.json")):
        data = json.loads(source.read_text(encoding="utf-8"))
        kept = [v for v in data["variants"] if v["family"] in families and v.get("default")]
        if not kept:
            continue
        method = copy.deepcopy(data)
        method["id"] = "e2e_" + data["id"]
        method["name"] = "E2E " + data["name"]
        method["variants"] = []
        for variant in kept:
            seed += 1
            filename = f"{variant['id']}.safetensors"
            path = make_lora(hub / "acc-e2e" / data["id"] / E2E_REVISION / filename, variant["family"], seed=seed)
            blob = path.read_bytes()
            variant = {**variant, "id": FIXTURE_PREFIX + variant["id"]}
            variant["file"] = {
                "repo_id": f"acc-e2e/{data['id']}",
                "filename": filename,
                "revision": E2E_REVISION,
                "sha256": hashlib.sha256(blob).hexdigest(),
                "size": len(blob),
                "save_as": FIXTURE_PREFIX + filename,
            }
            method["variants"].append(variant)
            variants.append({"method": method["id"], **variant})
        (presets / f"e2e_{data['id']}.json").write_text(json.dumps(method, indent=1), encoding="utf-8")
    layouts = _layout_fixture(hub, presets)
    manifest = {"hub": str(hub), "presets": str(presets), "variants": variants, "layouts": layouts}
    if tiny is not None:
        manifest["families"] = family_fixture.make_family_fixture(hub, presets, tiny)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def _layout_fixture(hub: Path, presets: Path) -> list[dict[str, object]]:
    """LoRAs in the dotted-diffusers and PEFT key layouts that the WebUI's loaders silently skip."""
    template = json.loads((builtin_presets_dir() / "lcm.json").read_text(encoding="utf-8"))
    base = next(v for v in template["variants"] if v["family"] == "sd15")
    variants = []
    for seed, layout in enumerate(("diffusers", "peft"), start=500):
        name = f"{FIXTURE_PREFIX}{layout}-sd15"
        filename = f"{name}.safetensors"
        blob = make_lora(hub / "acc-e2e" / "layouts" / E2E_REVISION / filename, "sd15", layout, seed=seed).read_bytes()
        variants.append({
            **base, "id": name, "label": f"{layout} layout", "default": layout == "diffusers",
            "file": {"repo_id": "acc-e2e/layouts", "filename": filename, "revision": E2E_REVISION,
                     "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob), "save_as": filename},
        })  # fmt: skip
    method = {**template, "id": "e2e_layouts", "name": "E2E key layouts", "variants": variants}
    (presets / "e2e_layouts.json").write_text(json.dumps(method, indent=1), encoding="utf-8")
    return [{"method": "e2e_layouts", "layout": v["label"].split()[0], **v} for v in variants]


def _tcmalloc() -> str | None:
    for candidate in (
        "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
        "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
    ):
        if Path(candidate).exists():
            return candidate
    return None


def snapshot(work: Path) -> Path:
    """A copy of the extension as it is now, so edits made while the WebUI runs cannot reach it."""
    target = work / EXTENSION_NAME
    ignore = shutil.ignore_patterns(".git", ".venv*", "__pycache__", ".*_cache", "node_modules", "docs")
    shutil.copytree(REPO, target, ignore=ignore, symlinks=True)
    return target


def install_extension(harness: Harness, source: Path) -> Path:
    link = harness.webui / "extensions" / EXTENSION_NAME
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink() if link.is_symlink() else shutil.rmtree(link)
    link.symlink_to(source, target_is_directory=True)
    return link


def start_webui(
    harness: Harness, env_extra: dict[str, str], log: Path, extra_flags: list[str], drop: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    # No HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE (huggingface_hub honours both): Accelerator must reach the
    # fake hub. With no network, transformers falls back to the harness's offline tokenizer cache.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "VIRTUAL_ENV"))}
    env.update(
        HF_HOME=str(harness.root / "hf-home"),
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
        NO_PROXY=LOOPBACK_NO_PROXY,
        no_proxy=LOOPBACK_NO_PROXY,
        PYTHONDONTWRITEBYTECODE="1",
    )
    preload = _tcmalloc()
    if preload:
        env["LD_PRELOAD"] = preload
    env.update(env_extra)
    for name in drop:
        env.pop(name, None)
    args = [str(harness.python), "launch.py", *harness.flags, "--port", str(harness.port), *extra_flags]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=harness.webui, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 480
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the WebUI exited with {process.returncode}; see {log}")
        # No request before the WebUI says it has started: one that arrives before A1111 has added its API
        # middleware kills the start ("Cannot add middleware after an application has started", A1111 1.10.1).
        if READY_LINE in log.read_text(encoding="utf-8", errors="replace"):
            try:
                with urllib.request.urlopen(f"{harness.url}/sdapi/v1/sd-models", timeout=5):
                    return process
            except OSError:
                pass
        time.sleep(2)
    stop_webui(process)
    raise RuntimeError(f"the WebUI did not start within 480 s; see {log}")


# What every host of the family prints once its server and API are up (`modules/timer.py`'s startup summary).
READY_LINE = "Startup time"


def stop_webui(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(args: argparse.Namespace) -> int:
    harness = find_harness(args.host)
    if harness is None:
        print(f"e2e ({args.host}): skipped, no prepared WebUI under ACC_ROOT (see tests/README.md)")
        return 0
    families = ("sd15", "sdxl") if args.sdxl else ("sd15",)
    tiny = _tiny_pipelines(args.host)
    work = Path(tempfile.mkdtemp(prefix=f"accelerator-e2e-{args.host}-"))
    manifest = make_fixture(work, families, tiny)
    lora_dir = work / "loras"
    lora_dir.mkdir()
    log = work / "webui.log"
    # A data folder of its own (extensions, outputs) where the host allows it (see HOSTS), so concurrent runs
    # from the same harness tree cannot replace each other's extension.
    data = work / "data"
    data_flags = own_data_flags(args.host, data, harness.root)
    link = install_extension(dataclasses.replace(harness, webui=data) if data_flags else harness, snapshot(work))
    with FakeHub(Path(str(manifest["hub"]))) as hub, HubRecords(hub) as records:
        env = {"HF_ENDPOINT": hub.endpoint, "ACCELERATOR_PRESETS_DIR": str(manifest["presets"])}
        print(f"e2e ({args.host}): starting the WebUI, log {log}", flush=True)
        # Each run gets its own settings and UI defaults, so runs cannot change each other's start state.
        settings: dict[str, object] = dict(HOSTS[args.host].settings)
        if os.environ.get("ACC_E2E_LOW_MEMORY"):
            settings["lora_functional"] = True
        if os.environ.get("ACC_E2E_FAST_PATH") == "0":  # on by default
            settings["accelerator_cfg1_fast_path"] = False
        if tiny is not None:
            settings.update(family_fixture.sdnext_settings(tiny))
        # (lora_functional: A1111 backs up every weight a LoRA touches, +3.4 GB on SD1.5, unless it is set.)
        (work / "config.json").write_text(json.dumps(settings), encoding="utf-8")
        flags = [
            *(data_flags or ()),
            *("--lora-dir", str(lora_dir)),
            *(HOSTS[args.host].settings_flags[0], str(work / "config.json")),
            *(HOSTS[args.host].settings_flags[1], str(work / "ui-config.json")),
        ]
        process = start_webui(harness, env, log, flags, drop=HOSTS[args.host].drop_env)
        try:
            test_env = {
                **os.environ,
                "WEBUI_URL": harness.url,
                "WEBUI_LOG": str(log),
                "WEBUI_HOST": args.host,
                "ACC_E2E_MANIFEST": str(work / "manifest.json"),
                "ACC_E2E_LORA_DIR": str(lora_dir),
                "ACC_E2E_SDXL": "1" if args.sdxl else "",
                "ACC_E2E_HUB_RECORDS": records.url,
                # A caller's own path survives the run; the default lives in the work folder, kept only on failure.
                "ACC_E2E_RECORD": os.environ.get("ACC_E2E_RECORD") or str(work / "records.jsonl"),
            }
            command = [sys.executable, "-m", "pytest", "-q", *args.tests, *args.pytest_args]
            code = subprocess.call(command, cwd=REPO, env=test_env)
        finally:
            stop_webui(process)
            if not data_flags:  # the shared checkout's folder: leave it as it was
                link.unlink(missing_ok=True)
    if code == 0 and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return code


def _tiny_pipelines(host: str) -> Path | None:
    """The tiny pipelines' folder on SD.Next (the only host here that loads them), or None: the family tests skip."""
    if host != "sdnext" or os.environ.get("ACC_E2E_FAMILIES") == "0":
        return None
    root = family_fixture.tiny_root()
    if family_fixture.tiny_manifest(root) is None:
        print(f"e2e ({host}): no tiny pipelines in {root} (tests/hosts/sdnext/tiny_pipelines.py): families skip")
        return None
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("--host", choices=sorted(HOSTS), default="a1111")
    p_run.add_argument("--sdxl", action="store_true", help="also the SDXL checkpoint (15 GB RAM)")
    p_run.add_argument("--keep", action="store_true", help="keep the work folder")
    p_run.add_argument("--tests", nargs="+", default=["tests/e2e"], help="test paths (default tests/e2e)")
    p_run.add_argument("pytest_args", nargs="*")
    p_run.set_defaults(run=run)
    args = parser.parse_args()
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
