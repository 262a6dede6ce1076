"""The dependency directions of conventions.md: models <- training <- forecast, and inside
models/ core and data <- kernels <- zoo, the simulator apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(package: str, depth: int = 1) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(".".join(a.name.split(".")[:depth]) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(".".join(node.module.split(".")[:depth]))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                if node.args and isinstance(node.args[0], ast.Constant):
                    names.add(".".join(str(node.args[0].value).split(".")[:depth]))
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


@pytest.mark.parametrize(("room", "forbidden"), [
    ("models/core", {"models.kernels", "models.zoo", "models.simulator"}),
    ("models/data", {"models.kernels", "models.zoo", "models.simulator"}),
    ("models/kernels", {"models.data", "models.zoo", "models.simulator"}),
    ("models/zoo", {"models.simulator"}),
])
def test_rooms_of_models_depend_one_way(room: str, forbidden: set[str]) -> None:
    offenders = {f: sorted(names & forbidden)
                 for f, names in _imported_modules(room, depth=2).items() if names & forbidden}
    assert offenders == {}


def test_zoo_registry_names_modules_that_exist() -> None:
    # The registry imports members by "module:Class" strings, which the scan above cannot
    # follow: every one must be a module of the zoo room.
    from models.zoo import _ZOO

    for target in _ZOO.values():
        module = target.split(":")[0]
        assert module.startswith("models.zoo."), target
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), target
