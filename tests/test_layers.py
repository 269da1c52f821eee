"""Dependencies point one way (DESIGN section 2): api and transfer -> programme -> reviews ->
submissions -> workshop. The API and the importers sit on top and only call what is below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = {"programme", "transfer", "api"}
FORBIDDEN = {
    "workshop": {"submissions", "reviews"} | TOP,
    "submissions": {"reviews"} | TOP,
    "reviews": TOP,
    "programme": {"transfer", "api"},
    "transfer": {"api"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_lower_layers_never_import_higher_ones(app):
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(imported_apps(path) & FORBIDDEN[app])}"
        for path in (ROOT / app).rglob("*.py")
        if imported_apps(path) & FORBIDDEN[app]
    ]
    assert offenders == []


def test_the_matching_engine_has_no_django():
    for path in (ROOT / "reviews" / "matching").rglob("*.py"):
        assert "django" not in imported_apps(path), path
