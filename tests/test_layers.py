"""The layering of docs/architecture.md: a lower layer never imports a higher one."""

import ast
from pathlib import Path

import terrinum

ORDER = ["config", "territories", "accounts", "sources", "warehouse", "indicators", "inclusion", "planning", "diagnostic", "web", "cli"]
# The one documented exception: the places pages draw their map with the shared SVG module.
ALLOWED = {("inclusion/views.py", "terrinum.diagnostic.svg")}


def upward_imports(root: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        layer = rel.split("/")[0].removesuffix(".py")
        if layer not in ORDER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "terrinum" and len(parts) > 1 and parts[1] in ORDER and ORDER.index(parts[1]) > ORDER.index(layer):
                    found.append((rel, module))
    return found


def test_no_layer_imports_a_higher_one():
    assert set(upward_imports(Path(terrinum.__file__).parent)) <= ALLOWED


def test_the_check_sees_an_upward_import(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "x.py").write_text("from terrinum.warehouse import store\nimport terrinum.config\n")
    assert upward_imports(tmp_path) == [("sources/x.py", "terrinum.warehouse")]
