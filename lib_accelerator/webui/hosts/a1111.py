"""AUTOMATIC1111 1.9 and 1.10: the baseline every other adapter departs from.

It runs the unconditional pass even at CFG 1 (hence the CFG-1 fast path in `common`), has a Schedule type
dropdown from 1.9 and "skip early CFG" from 1.10, and its Lora extension matches kohya key names only.
"""

from __future__ import annotations

from lib_accelerator.webui.hosts.common import A1111Family, has_module

PRECEDENCE = 0  # anything more specific that also detects wins


def detect() -> bool:
    return has_module("modules.processing") and has_module("modules.sd_samplers_kdiffusion")


class Adapter(A1111Family):
    name = "a1111"
