"""Accelerator's core: presets, planning, prompt tags, infotext and downloads, with no WebUI import."""

__version__ = "0.1.0"
