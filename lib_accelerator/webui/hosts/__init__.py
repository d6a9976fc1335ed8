"""One adapter per host: every module here except `common` is one WebUI (a1111, forge, reforge, ...).

An adapter module defines `detect()` (does the running WebUI look like this host? asked of what the process can
import, never of a version string), `PRECEDENCE` (when several detect, the most specific, i.e. highest, wins:
Forge also looks like A1111) and `Adapter`, a subclass of `common.A1111Family`. Adapters are found by listing this
package, so adding a host is adding one file. No adapter imports another; what two share lives in `common`.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

from lib_accelerator.webui.hosts.common import A1111Family

_NOT_ADAPTERS = frozenset({"common"})


def adapter_modules() -> list[Any]:
    """Every adapter module, imported (they import WebUI modules only inside functions, so this is safe anywhere)."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name not in _NOT_ADAPTERS)
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


@functools.cache
def current() -> A1111Family:
    """The adapter of the WebUI this process runs in, chosen once: the host does not change while it runs."""
    found = [module for module in adapter_modules() if module.detect()]
    if not found:
        raise RuntimeError("Accelerator: this WebUI is none of the hosts Accelerator knows (no adapter detected it)")
    chosen = max(found, key=lambda module: module.PRECEDENCE)
    adapter: A1111Family = chosen.Adapter()
    return adapter
