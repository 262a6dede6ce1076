"""The dependency direction of conventions.md: models <- training <- forecast."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                if node.args and isinstance(node.args[0], ast.Constant):
                    names.add(str(node.args[0].value).split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("models", {"mlflow", "training", "forecast", "typer"}),
    ("training", {"forecast", "typer"}),
])
def test_package_never_imports_downstream(package: str, forbidden: set[str]) -> None:
    offenders = {f: sorted(names & forbidden)
                 for f, names in _imported_modules(package).items() if names & forbidden}
    assert offenders == {}


def test_checker_sees_imports(tmp_path: Path) -> None:
    # The checker itself must be able to fail: forecast/ does import models and training.
    names = set().union(*_imported_modules("forecast").values())
    assert {"models", "typer"} <= names
