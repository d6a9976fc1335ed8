"""Contract tests: the WebUI glue against the real `modules` of a WebUI checkout (WEBUI_ROOT)."""
