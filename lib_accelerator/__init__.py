"""Accelerator's core: presets, planning, prompt tags, infotext and downloads, with no WebUI import.

Subpackages: `presets` (the catalogue), `lora` (files and their key layouts), `download` (pinned files from the
Hub), `cli`; the WebUI glue is `lib_accelerator.webui`, one adapter per host in `webui.hosts`. The module map with
the direction of imports: docs/architecture.md.
"""

__version__ = "0.1.0"
