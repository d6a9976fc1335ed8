import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "lib_accelerator"
FORBIDDEN = {"modules", "gradio", "launch", "torch"}


def test_core_modules_import_no_webui_module():
    offenders = []
    for path in CORE.rglob("*.py"):
        if "webui" in path.relative_to(CORE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
    assert len(list(CORE.glob("*.py"))) > 5  # the scan really looked at the core
