"""`fetch` and `verify` from the command line, against the fake hub on 127.0.0.1 (its CDN on 127.0.0.2)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import make_fixture
from tests.fakehub.server import LOOPBACK_NO_PROXY, FakeHub

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lib_accelerator", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def test_fetch_then_verify_then_a_damaged_file_is_reported(tmp_path):
    manifest = make_fixture(tmp_path / "fixture", ("sd15",))
    lora_dir = tmp_path / "loras"
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0"}
    env.update(NO_PROXY=LOOPBACK_NO_PROXY, no_proxy=LOOPBACK_NO_PROXY)  # the fake hub, never a proxy
    common = ["--lora-dir", str(lora_dir)]
    with FakeHub(Path(str(manifest["hub"]))) as hub:
        presets = ["--presets-dir", str(manifest["presets"])]
        fetched = _cli(*presets, "fetch", "e2e_lcm", "e2e-lcm-lora-sd15", *common, "--endpoint", hub.endpoint, env=env)
        assert fetched.returncode == 0, fetched.stderr
        assert fetched.stdout.count("ok     e2e-lcm-lora-sd15") == 1  # named twice, fetched once
        assert hub.requests("GET") == 1
    target = lora_dir / "accelerator" / "e2e-lcm-lora-sd15.safetensors"
    verified = _cli(*presets, "verify", "e2e_lcm", "e2e-tcd-sd15", *common, env=env)
    assert verified.returncode == 0 and f"ok     e2e-lcm-lora-sd15: {target}" in verified.stdout
    assert "absent e2e-tcd-sd15" in verified.stdout
    target.write_bytes(b"\0" * target.stat().st_size)
    damaged = _cli(*presets, "verify", "e2e_lcm", *common, env=env)
    assert damaged.returncode == 1 and "BAD    e2e-lcm-lora-sd15" in damaged.stdout and "sha256" in damaged.stdout
