"""The seam, enforced: the core never touches a WebUI, and a host adapter never touches another adapter."""

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "lib_accelerator"
HOSTS = CORE / "webui" / "hosts"
FORBIDDEN = {"modules", "gradio", "launch", "torch"}
# Every subpackage of the core, and its top level ("."): a new one must be added here to be checked.
CORE_PARTS = (".", "presets", "lora", "download", "cli")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def _files(part: str) -> list[Path]:
    folder = CORE / part
    return sorted(folder.glob("*.py"))


def test_every_core_subpackage_is_listed():
    found = {p.name for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {"webui"}
    assert found == set(CORE_PARTS) - {"."}


@pytest.mark.parametrize("part", CORE_PARTS)
def test_core_imports_no_webui_module(part):
    files = _files(part)
    assert files, f"nothing to scan in {part}"
    offenders = [
        f"{path.relative_to(CORE)}: {name}"
        for path in files
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN or name.startswith("lib_accelerator.webui")
    ]
    assert offenders == []


def _adapters() -> list[Path]:
    return sorted(p for p in HOSTS.glob("*.py") if p.stem not in ("__init__", "common"))


def test_there_are_adapters_to_check():
    assert {p.stem for p in _adapters()} >= {"a1111", "forge"}


@pytest.mark.parametrize("adapter", _adapters(), ids=lambda p: p.stem)
def test_no_adapter_imports_another(adapter):
    others = {p.stem for p in _adapters()} - {adapter.stem}
    offenders = [
        name
        for name in _imports(adapter)
        if name.startswith("lib_accelerator.webui.hosts.") and name.split(".")[3] in others
    ]
    assert offenders == []


@pytest.mark.parametrize("adapter", _adapters(), ids=lambda p: p.stem)
def test_adapters_import_webui_modules_only_inside_functions(adapter):
    # All adapters are imported on every host while the right one is chosen: a top-level import of a module
    # one WebUI lacks would break the choice there.
    tree = ast.parse(adapter.read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert [n for n in names if n.split(".")[0] in FORBIDDEN | {"modules_forge", "backend", "ldm_patched"}] == []
