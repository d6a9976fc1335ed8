"""Accelerator's one logger. Each message reaches the WebUI's console exactly once, whether or not the WebUI
configured Python logging: A1111 does only when SD_WEBUI_LOG_LEVEL is set, and without a handler only warnings
would show (through logging's last resort), not the line that says what a generation was given."""

from __future__ import annotations

import logging

LOG = logging.getLogger("accelerator")


def _console() -> None:
    # INFO passes this logger whatever the root's level: a WebUI that sets the root to WARNING (reForge, SD.Next)
    # would otherwise drop the line that says what a generation was given. Records then reach the root's handlers.
    if LOG.level == logging.NOTSET or LOG.level > logging.INFO:
        LOG.setLevel(logging.INFO)
    if LOG.handlers or logging.getLogger().handlers:
        return  # ours is set up already (scripts reload), or the WebUI's own handler prints every message
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOG.addHandler(handler)


_console()
