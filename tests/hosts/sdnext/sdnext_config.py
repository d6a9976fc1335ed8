"""Write the offline settings into SD.Next's config.json (merging; a corrupt file is replaced).
SD.Next saves config.json from a thread and only the non-default keys; an interrupted/overlapping save
has left it truncated or with trailing garbage here, so start.sh re-applies these keys before every start."""

import json
import os
import sys

FORCED = {
    "offline_mode": True,  # never ask the hub (local_files_only + HF_HUB_OFFLINE at load)
    "theme_type": "Standard",  # the "Modern" UI is a git submodule the snapshot lacks
    "sd_checkpoint_autoload": True,
    "diffuser_cache_config": True,  # use configs/sd15, configs/sdxl for from_single_file
    "live_previews_enable": False,
    "show_progress_every_n_steps": -1,
}

path = sys.argv[1]
cfg = {}
if os.path.exists(path):
    try:
        with open(path, encoding="utf8") as f:
            cfg = json.load(f)
    except Exception as e:  # noqa: BLE001
        print(f"config.json unreadable ({e}); rewriting it", file=sys.stderr)
        cfg = {}
cfg.update(FORCED)
tmp = path + ".tmp"
with open(tmp, "w", encoding="utf8") as f:
    json.dump(cfg, f, indent=2)
os.replace(tmp, path)
print("config.json:", {k: cfg[k] for k in ("offline_mode", "theme_type")})
