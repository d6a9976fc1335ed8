"""API checks against a running SD.Next (start.sh). Stdlib only; prints one JSON report.

python check_api.py [--url http://127.0.0.1:7874] [--lora] [--samplers] [--accelerator] [--json FILE]
"""

import argparse
import base64
import hashlib
import io
import json
import time
import urllib.error
import urllib.request


def call(url, path, body=None, timeout=900):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url + path, data=data, headers={"Content-Type": "application/json"}, method="GET" if body is None else "POST"
    )
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        raw = e.read()
        code = e.code
    dt = round(time.time() - t0, 2)
    try:
        js = json.loads(raw)
    except ValueError:  # not JSON: an HTML error page, shown as text
        js = raw.decode(errors="replace")[:2000]
    return code, js, dt


PIXELS = {}


def img_digest(b64):
    raw = base64.b64decode(b64.split(",", 1)[-1])
    size = None
    try:
        from PIL import Image

        im = Image.open(io.BytesIO(raw)).convert("RGB")
        size = im.size
        PIXELS[hashlib.sha256(raw).hexdigest()[:16]] = list(im.getdata())
    except OSError:  # not an image PIL can read: only its digest is kept
        pass
    return hashlib.sha256(raw).hexdigest()[:16], size


def mad(a, b):
    """mean absolute pixel difference (0-255) between the first images of two txt2img results"""
    pa, pb = PIXELS.get(a["images"][0][0]), PIXELS.get(b["images"][0][0])
    if pa is None or pb is None:
        return None
    return round(
        sum(abs(x - y) for p, q in zip(pa, pb, strict=True) for x, y in zip(p, q, strict=True)) / (3 * len(pa)), 3
    )


def txt2img(url, prompt="a photo of a cat", **kw):
    body = dict(
        prompt=prompt,
        negative_prompt="",
        width=64,
        height=64,
        steps=2,
        cfg_scale=7,
        seed=1234,
        sampler_name="Euler",
        send_images=True,
        save_images=False,
    )
    body.update(kw)
    code, js, dt = call(url, "/sdapi/v1/txt2img", body)
    out = {"code": code, "time_s": dt}
    if code == 200 and isinstance(js, dict):
        imgs = js.get("images") or []
        out["images"] = [img_digest(i) for i in imgs]
        info = js.get("info")
        try:
            info = json.loads(info)
            out["infotext"] = (info.get("infotexts") or [""])[0]
        except (TypeError, ValueError):
            out["info"] = str(info)[:1500]
    else:
        out["error"] = js if isinstance(js, (dict, str)) else str(js)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:7874")
    ap.add_argument("--lora", action="store_true")
    ap.add_argument("--samplers", action="store_true")
    ap.add_argument("--accelerator", action="store_true")
    ap.add_argument("--lora-seq", action="store_true")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--skip-basic", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    u = a.url
    rep = {}
    c, js, _ = call(u, "/sdapi/v1/sd-models")
    rep["sd-models"] = [m.get("title") for m in js] if c == 200 else (c, js)
    c, js, _ = call(u, "/sdapi/v1/samplers")
    rep["samplers"] = {
        "code": c,
        "count": len(js) if isinstance(js, list) else None,
        "names": [s.get("name") for s in js] if isinstance(js, list) else js,
    }
    c, js, _ = call(u, "/sdapi/v1/schedulers")
    rep["schedulers"] = {"code": c, "body": js if c != 200 else len(js)}
    c, js, _ = call(u, "/sdapi/v1/options")
    rep["options"] = {
        "code": c,
        "sd_model_checkpoint": js.get("sd_model_checkpoint") if isinstance(js, dict) else None,
        "n": len(js) if isinstance(js, dict) else None,
        "schedulers": {k: v for k, v in js.items() if k.startswith("scheduler")} if isinstance(js, dict) else None,
    }
    c, js, _ = call(u, "/sdapi/v1/sampler")
    rep["sampler-current"] = js
    c, js, _ = call(u, "/sdapi/v1/scripts")
    rep["scripts"] = js
    if not a.skip_basic:
        rep["txt2img"] = [txt2img(u), txt2img(u)]
        rep["txt2img_same_pixels"] = rep["txt2img"][0].get("images") == rep["txt2img"][1].get("images")
    if a.samplers:
        rep["samplers_run"] = {}
        for name, extra in [
            ("Euler SGM", {}),
            ("Euler", {"schedulers_timestep_spacing": "trailing"}),
            ("LCM", {}),
            ("TCD", {}),
            ("Euler FlowMatch", {}),
            ("DPM++ 2M", {"schedulers_sigma": "karras"}),
            ("UniPC", {}),
        ]:
            r = txt2img(u, sampler_name=name, **extra)
            c, js, _ = call(u, "/sdapi/v1/sampler")
            r["scheduler_after"] = js
            rep["samplers_run"][name + (" " + json.dumps(extra) if extra else "")] = r
    if a.lora:
        c, js, _ = call(u, "/sdapi/v1/refresh-loras", {})
        rep["refresh-loras"] = c
        c, js, _ = call(u, "/sdapi/v1/loras")
        rep["loras"] = [x.get("name") for x in js] if isinstance(js, list) else js
        base = txt2img(u)
        rep["lora_base"] = base
        for n in ["acc_kohya", "acc_diffusers", "acc_peft"]:
            r = txt2img(u, prompt=f"a photo of a cat <lora:{n}:1>")
            r["changed"] = r.get("images") != base.get("images")
            rep["lora_" + n] = r
        rep["lora_after_base"] = txt2img(u)
        rep["lora_after_base"]["same_as_base"] = rep["lora_after_base"].get("images") == base.get("images")
    if a.lora_seq:
        seq = [
            ("base", ""),
            ("base2", ""),
            ("kohya", "<lora:acc_kohya:1>"),
            ("after_kohya", ""),
            ("diffusers", "<lora:acc_diffusers:1>"),
            ("after_diffusers", ""),
            ("peft", "<lora:acc_peft:1>"),
            ("after_peft", ""),
            ("kohya_again", "<lora:acc_kohya:1>"),
        ]
        res = {}
        for tag, lora in seq:
            res[tag] = txt2img(u, prompt=("a photo of a cat " + lora).strip())
        for tag in res:
            res[tag]["mad_vs_base"] = mad(res[tag], res["base"])
        res["kohya_again"]["mad_vs_kohya"] = mad(res["kohya_again"], res["kohya"])
        rep["lora_seq"] = res
    if a.probe:
        call(u, "/sdnext-probe/clear", {})
        r1 = txt2img(u, alwayson_scripts={"sdnext probe": {"args": [True, 4]}})
        log1 = call(u, "/sdnext-probe/log")[1]
        call(u, "/sdnext-probe/clear", {})
        r2 = txt2img(u, alwayson_scripts={"sdnext probe": {"args": [{"enabled": True, "steps": 3}]}})
        log2 = call(u, "/sdnext-probe/log")[1]
        call(u, "/sdnext-probe/clear", {})
        r3 = txt2img(u, n_iter=2, alwayson_scripts={"sdnext probe": {"args": [True, 2]}})
        log3 = call(u, "/sdnext-probe/log")[1]
        r4 = txt2img(u)
        rep["probe"] = {
            "list_args": r1,
            "list_log": log1,
            "dict_args": r2,
            "dict_log": log2,
            "n_iter2": r3,
            "n_iter2_log": log3,
            "after_plain": r4,
            "env": call(u, "/sdnext-probe/env")[1],
            "xyz_api": [x for x in (call(u, "/sdapi/v1/xyz-grid")[1] or []) if "Probe" in str(x) or "Steps" in str(x)],
            "script_info": [x for x in call(u, "/sdapi/v1/script-info")[1] if "probe" in str(x.get("name"))],
            "unknown_script": txt2img(u, alwayson_scripts={"nope": {"args": []}}),
        }
    if a.accelerator:
        c, js, _ = call(u, "/sdapi/v1/script-info")
        rep["script-info-accelerator"] = (
            [x for x in js if "accel" in str(x.get("name", "")).lower()] if isinstance(js, list) else js
        )
        rep["accelerator_hyper_sd"] = txt2img(
            u, alwayson_scripts={"accelerator": {"args": [{"enabled": True, "method": "hyper_sd"}]}}
        )
        rep["accelerator_off"] = txt2img(u, alwayson_scripts={"accelerator": {"args": [{"enabled": False}]}})
    out = json.dumps(rep, indent=1, default=str)
    if a.json:
        with open(a.json, "w", encoding="utf8") as f:
            f.write(out)
    print(out)


if __name__ == "__main__":
    main()
