"""Test modules share nothing with each other directly: a fixture or helper two modules need
lives in a conftest.py, tests/factories.py or a helper module that is not itself a test
module. Importing from a sibling test module runs that module's import-time code, collects its
fixtures twice under two names, and ties one module's tests to another's private helpers."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _package_of(path: Path) -> list[str]:
    return ["tests", *path.relative_to(TESTS).parent.parts]


def imported_test_modules(path: Path, source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every test module that `source` (the file at `path`) imports,
    at module level or inside a function, absolutely or relatively."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)
                base = package[: len(package) - (node.level - 1)]
                module = [*base, *(node.module.split(".") if node.module else [])]
            else:
                module = (node.module or "").split(".")
            names = [".".join(module)]
            if TESTS.parent.joinpath(*module).is_dir():  # `from pkg import test_x`: a module
                names += [".".join([*module, alias.name]) for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "tests" and parts[-1].startswith("test_"):
                found.append((node.lineno, name))
    return found


def test_the_check_finds_every_spelling_of_an_import_from_a_test_module():
    path = TESTS / "reviews" / "test_x.py"
    source = (
        "from tests.reviews.test_a import world\n"
        "from .test_b import helper\n"
        "from ..test_c import other\n"
        "from tests.api import test_d\n"
        "import tests.workshop.test_e\n"
        "def f():\n    from .test_f import g\n"
        "from .conftest import fine\nfrom tests.factories import UserFactory\n"
        "from . import world\nfrom tests.workers import test_database_url\nimport pytest\n"
    )
    assert [name for _, name in imported_test_modules(path, source)] == [
        "tests.reviews.test_a",
        "tests.reviews.test_b",
        "tests.test_c",
        "tests.api.test_d",
        "tests.workshop.test_e",
        "tests.reviews.test_f",
    ]


def test_no_test_module_imports_from_another_test_module():
    offences = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, name in imported_test_modules(path, path.read_text())
    ]
    assert not offences, (
        "move what is shared to a conftest.py, tests/factories.py or a helper module:\n"
        + "\n".join(offences)
    )
