"""One real WebUI with Accelerator (and, for benchmarks, a timing probe) installed, isolated from other runs.

Built on tests/e2e/stack.py (make_fixture, snapshot, install_extension, start_webui, stop_webui, and its HOSTS
table for each host's flags) with one difference: the WebUI gets its own `--data-dir` (extensions folder,
config.json, outputs) and reads models from the harness's folders, named the way `stack.own_data_flags` names them
for that host. Several engineers start WebUIs from the same harness tree at once; a shared
`extensions/sd-webui-accelerator` link or config.json would let one run switch another's extension or options.

    python -m benchmarks.harness pytest [--host a1111|forge|reforge|forge_classic|sdnext] [--port N] -- \
        tests/e2e/test_fast_path.py -s
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.e2e import stack  # noqa: E402
from tests.fakehub.server import FakeHub  # noqa: E402

# Never 7871-7879 (the e2e stack's hosts) or 7881/7893/7894: other engineers' WebUIs use them.
PORTS = {"a1111": 7885, "forge": 7886, "reforge": 7887, "forge_classic": 7888, "sdnext": 7889}
PROBE = REPO / "benchmarks" / "timing_probe"  # benchmark-only extension, see its script's docstring
NETWORK_HOOK = REPO / "benchmarks" / "network_hook"  # sitecustomize.py: log sockets opened by the extension
MIN_AVAILABLE_MB = 1500  # like memwatch.sh: below this, kill our WebUI (only ours)
CHECKPOINTS = {"sd15": "random-sd15.safetensors", "sdxl": "random-sdxl.safetensors"}
# The line each host prints once the checkpoint given with --ckpt is loaded (each loads it at start, in the
# background; Forge loads lazily, at the first job: nothing to wait for there). From each host's source:
# A1111 and Forge Classic `modules/sd_models.py` "Model loaded in {timer}." (Classic 1f95d717 l. 595);
# reForge 3b56b268 `modules/sd_models.py` l. 1181 "Model {title} loaded in {timer}.";
# SD.Next 058a7f0c `modules/sd_models.py` l. 1075 "Load {op}: family=... time=..." with op "model".
MODEL_LOADED = {
    "a1111": re.compile(r"Model loaded in"),
    "reforge": re.compile(r"Model .+ loaded in"),
    "forge_classic": re.compile(r"Model loaded in"),
    "sdnext": re.compile(r"Load model: family="),
}


def skips_uncond_at_cfg1(host: str) -> bool:
    """Whether the host drops the unconditional pass at CFG 1 by itself, as Accelerator's own adapter for it
    says (`lib_accelerator/webui/hosts/<host>.py`): there the fast path has nothing to do."""
    adapter = importlib.import_module(f"lib_accelerator.webui.hosts.{host}").Adapter()
    return bool(adapter.skips_uncond_at_cfg1())


def checkpoint_dir(host: str, root: Path) -> Path:
    """The folder of the checkpoints the host reads, from its row in stack.HOSTS (--models-dir or --ckpt-dir)."""
    known = stack.HOSTS[host]
    if known.models is None:  # Forge: its own checkout's models folder
        return root / known.folder / "models" / "Stable-diffusion"
    flag, folder = known.models
    return root / folder if flag == "--ckpt-dir" else root / folder / "Stable-diffusion"


def start_flags(setup: Setup, data: Path, checkpoint: str) -> list[str]:
    """--data-dir, models, settings files and the start checkpoint for one private start of `setup.host`."""
    host, root = setup.host, setup.harness.root
    known = stack.HOSTS[host]
    own = stack.own_data_flags(host, data, root)
    if own is None:
        # Forge: the e2e stack gives it no --data-dir, because its page then lacks the WebUI's JavaScript in a
        # browser; its API, all that a benchmark uses, works with one, and its checkout's models folder.
        own = ["--data-dir", str(data), "--models-dir", str(root / known.folder / "models")]
    if "--ckpt" in own:  # the stack's start checkpoint (SD.Next) is the SD 1.5 one; this run names its own
        at = own.index("--ckpt")
        del own[at : at + 2]
    settings, ui_settings = known.settings_flags
    return [
        *own,
        *("--lora-dir", str(setup.lora_dir)),
        *(settings, str(data / "config.json")),
        *(ui_settings, str(data / "ui-config.json")),
        *("--ckpt", str(checkpoint_dir(host, root) / CHECKPOINTS[checkpoint])),
    ]


def available_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return 0


class MemoryGuard(threading.Thread):
    """Kill our own WebUI, found by its private --data-dir in the command line (so already while it starts),
    if the machine runs out of memory; never any other process."""

    def __init__(self, marker: str) -> None:
        super().__init__(daemon=True)
        self.marker, self.stop, self.fired = marker, threading.Event(), False

    def ours(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"launch.py" in cmdline and self.marker.encode() in cmdline:
                    found.append(int(entry.name))
        return found

    def run(self) -> None:
        while not self.stop.wait(0.5):
            if available_mb() < MIN_AVAILABLE_MB:
                for pid in self.ours():
                    self.fired = True
                    print(f"MemAvailable < {MIN_AVAILABLE_MB} MB: killing our WebUI {pid}", flush=True)
                    os.kill(pid, 9)


@dataclass
class Running:
    host: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    hub: FakeHub
    manifest: dict[str, Any]
    work: Path
    timings: Path
    network_log: Path
    lora_dir: Path
    started: float
    ready: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Setup:
    """What every start of one host shares: fixture, LoRA folder, snapshot of the extension."""

    host: str
    harness: stack.Harness
    work: Path
    manifest: dict[str, Any]
    lora_dir: Path
    snapshot: Path


def prepare(host: str, port: int | None = None, families: tuple[str, ...] = ("sd15",)) -> Setup:
    harness = stack.find_harness(host)
    if harness is None:
        raise SystemExit(f"no prepared {host} WebUI under ACC_ROOT (see /work/shared/webui-harness/README.md)")
    harness = dataclasses.replace(harness, port=port or PORTS[host])
    work = Path(tempfile.mkdtemp(prefix=f"accelerator-bench-{host}-"))
    manifest = stack.make_fixture(work / "fixture", families)
    lora_dir = work / "loras"
    lora_dir.mkdir()
    return Setup(host, harness, work, manifest, lora_dir, stack.snapshot(work))


def port_free(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
            return False
    except OSError:
        return True


@contextmanager
def webui(
    setup: Setup,
    *,
    extension: bool = True,
    probe: bool = True,
    network_hook: bool = False,
    checkpoint: str = "sd15",
    tag: str = "run",
    wait_model: bool = True,
    config: dict[str, Any] | None = None,
    env_extra: dict[str, str] | None = None,
) -> Iterator[Running]:
    """Start the WebUI; stop it on exit. `extension=False` starts the same WebUI without Accelerator."""
    if not port_free(setup.harness.port):
        raise SystemExit(f"port {setup.harness.port} is taken; stop that WebUI or pass --port")
    data = setup.work / f"data-{tag}"
    (data / "extensions").mkdir(parents=True)
    # The private config.json the WebUI starts with: the host's own start settings (stack.HOSTS, e.g. SD.Next's
    # theme) and this run's, e.g. {"lora_functional": true}.
    settings = {**stack.HOSTS[setup.host].settings, **(config or {})}
    (data / "config.json").write_text(json.dumps(settings), encoding="utf-8")
    target = dataclasses.replace(setup.harness, webui=data)  # install_extension links into <webui>/extensions
    if extension:
        stack.install_extension(target, setup.snapshot)
    timings, network_log = data / "timings.jsonl", data / "network.jsonl"
    if probe:
        (data / "extensions" / "zz-accelerator-timing-probe").symlink_to(PROBE, target_is_directory=True)
    env = {"ACCELERATOR_PRESETS_DIR": str(setup.manifest["presets"]), "ACC_BENCH_TIMINGS": str(timings)}
    env.update(env_extra or {})
    if network_hook:
        env["PYTHONPATH"] = str(NETWORK_HOOK)
        env["ACC_BENCH_NETWORK_LOG"] = str(network_log)
        env["ACC_BENCH_WATCH"] = str(setup.snapshot)
    flags = start_flags(setup, data, checkpoint)
    log = data / "webui.log"
    with FakeHub(Path(str(setup.manifest["hub"]))) as hub:
        env["HF_ENDPOINT"] = hub.endpoint
        started = time.monotonic()
        guard = MemoryGuard(str(data))
        guard.start()
        try:
            process = stack.start_webui(setup.harness, env, log, flags, drop=stack.HOSTS[setup.host].drop_env)
        except RuntimeError:
            guard.stop.set()
            if guard.fired:
                raise SystemExit(f"our WebUI was killed while starting: MemAvailable < {MIN_AVAILABLE_MB} MB") from None
            raise
        running = Running(
            setup.host,
            setup.harness.url,
            process,
            log,
            hub,
            setup.manifest,
            setup.work,
            timings,
            network_log,
            setup.lora_dir,
            started,
        )
        try:
            if wait_model:
                wait_for_model(running)
            running.ready = time.monotonic()
            yield running
        finally:
            guard.stop.set()
            stack.stop_webui(process)
        if guard.fired:  # the body saw the lost connection and kept what it had measured
            print(f"our WebUI was killed: MemAvailable fell below {MIN_AVAILABLE_MB} MB", flush=True)


def wait_for_model(running: Running, timeout: float = 600) -> None:
    """Wait for the host's "model loaded" line (MODEL_LOADED); Forge loads lazily: nothing to wait for."""
    marker = MODEL_LOADED.get(running.host)
    if marker is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.search(running.log.read_text(errors="replace")):
            return
        if running.process.poll() is not None:
            raise RuntimeError(f"the WebUI exited; see {running.log}")
        time.sleep(1)
    raise RuntimeError(f"no {marker.pattern!r} line within {timeout} s; see {running.log}")


def read_timings(running: Running) -> list[dict[str, Any]]:
    if not running.timings.exists():
        return []
    return [json.loads(line) for line in running.timings.read_text().splitlines() if line.strip()]


def run_pytest(args: argparse.Namespace) -> int:
    setup = prepare(args.host, args.port)
    config = {"lora_functional": True} if args.lora_functional else None
    with webui(setup, probe=False, tag="pytest", config=config) as running:
        env = {
            **os.environ,
            "WEBUI_URL": running.url,
            "WEBUI_LOG": str(running.log),
            "WEBUI_HOST": args.host,
            "ACC_E2E_MANIFEST": str(Path(str(setup.manifest["presets"])).parent / "manifest.json"),
            "ACC_E2E_LORA_DIR": str(setup.lora_dir),
            "ACC_E2E_SDXL": "",
        }
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", *args.pytest_args], cwd=REPO, env=env)
    if code == 0:
        shutil.rmtree(setup.work, ignore_errors=True)
    else:
        print(f"kept {setup.work} (WebUI log: {running.log})")
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_test = sub.add_parser("pytest", help="start an isolated WebUI and run pytest against it")
    p_test.add_argument("--host", choices=sorted(PORTS), default="a1111")
    p_test.add_argument("--port", type=int, default=None, help=f"default {PORTS}")
    p_test.add_argument(
        "--lora-functional",
        action="store_true",
        help="start with lora_functional=true: A1111 then skips its +3.4 GB weight backup (when memory is short)",
    )
    p_test.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    return run_pytest(args)


if __name__ == "__main__":
    raise SystemExit(main())
