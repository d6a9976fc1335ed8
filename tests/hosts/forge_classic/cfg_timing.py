#!/usr/bin/env python3
"""Does CFG 1 skip the unconditional pass? Times txt2img at one size: N steps at cfg 7, cfg 1, and cfg 7 with
skip_early_cond=1 (the host's own uncond skip), each twice after a warm-up, against a running WebUI.
  python cfg_timing.py --url http://127.0.0.1:7875 [--size 256] [--steps 10] [--sampler Euler]"""

import argparse
import json
import time
import urllib.request

P = argparse.ArgumentParser()
P.add_argument("--url", required=True)
P.add_argument("--size", type=int, default=256)
P.add_argument("--steps", type=int, default=10)
P.add_argument("--sampler", default="Euler")
A = P.parse_args()
op = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(path, body):
    r = urllib.request.Request(A.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with op.open(r, timeout=1800) as f:
        return json.loads(f.read() or b"null")


def run(**kw):
    body = dict(prompt="a photo of a cat", width=A.size, height=A.size, steps=A.steps, seed=1, sampler_name=A.sampler)
    body.update(kw)
    t = time.perf_counter()
    post("/sdapi/v1/txt2img", body)
    return time.perf_counter() - t


run(steps=2, cfg_scale=7)
res = {}
for name, kw in (
    ("cfg7", dict(cfg_scale=7)),
    ("cfg1", dict(cfg_scale=1)),
    (
        "cfg7_skip_early_cond1",
        dict(cfg_scale=7, override_settings={"skip_early_cond": 1.0}, override_settings_restore_afterwards=True),
    ),
):
    res[name] = [round(run(**kw), 2) for _ in range(2)]
    print(name, res[name], flush=True)
post("/sdapi/v1/options", {"skip_early_cond": 0.0})
print(json.dumps({"size": A.size, "steps": A.steps, "seconds": res}))
