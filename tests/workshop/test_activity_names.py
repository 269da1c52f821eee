"""Activity names are declared (issue 22): each app declares its names as `TextChoices` in
its `activity` module, the log's writer refuses any other name, and every name the code
writes is declared by exactly one app."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.db import models

from tests.factories import WorkshopFactory
from transfer.models import JobKind
from workshop.activity import (
    ConfigVerb,
    UnknownAction,
    action_declared,
    activity_entry,
    activity_record,
    declared_actions,
)
from workshop.models import Activity
from workshop.policy import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
APPS = ("workshop", "submissions", "reviews", "programme", "transfer", "api")
NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
# The places that build a name at run time, and every name each can build.
BUILT = {
    "reviews/services/openness.py": {f"public_comment.{v}" for v in ("approve", "reject")},
    "transfer/services.py": {f"transfer.{kind}" for kind in JobKind.values},
}


def _strings(node: ast.AST) -> list[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def names_written(path: Path) -> tuple[set[str], list[int]]:
    """The names a module gives as `action=...` or assigns to a `*action` variable (both
    branches of a conditional), and the lines where it builds one with an f-string."""
    names: set[str] = set()
    built: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        given = isinstance(node, ast.keyword) and node.arg == "action"
        assigned = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.lower().endswith("action") for t in node.targets
        )
        values: list[ast.AST] = [node.value] if given or assigned else []  # type: ignore[attr-defined]
        for value in values:
            if isinstance(value, ast.JoinedStr):
                built.append(value.lineno)
            names |= {c.value for c in _strings(value) if NAME.match(c.value)}
    return names, built


def app_modules() -> list[Path]:
    files = [p for app in APPS for p in (ROOT / app).rglob("*.py")]
    return sorted(p for p in files if "migrations" not in p.parts)


@pytest.mark.django_db
def test_an_unknown_name_is_refused_and_nothing_is_written():
    workshop = WorkshopFactory()
    before = Activity.objects.count()
    with pytest.raises(UnknownAction, match=r"paper\.teleport"):
        activity_record(actor=SYSTEM, action="paper.teleport", workshop=workshop)
    with pytest.raises(UnknownAction):
        activity_entry(actor=SYSTEM, action="reviews.relase", workshop=workshop)  # a typo
    assert Activity.objects.count() == before
    entry = activity_record(actor=SYSTEM, action="reviews.release", workshop=workshop)
    assert entry.pk and Activity.objects.count() == before + 1


def test_a_configuration_rows_name_is_its_model_and_a_config_verb():
    assert set(ConfigVerb.values) == {"create", "configure", "delete"}
    assert action_declared("topic.create") and action_declared("workshop.configure")
    assert action_declared("reviewquestion.delete")
    assert not action_declared("topic.teleport")
    assert not action_declared("nosuchmodel.create")
    assert not action_declared("submission")


def test_every_name_the_code_writes_is_declared():
    files = app_modules()
    written: dict[str, set[str]] = {}
    built: dict[str, list[int]] = {}
    for path in files:
        names, lines = names_written(path)
        where = str(path.relative_to(ROOT))
        for name in names:
            written.setdefault(name, set()).add(where)
        if lines:
            built[where] = lines
    assert len(written) > 60  # the walk finds the names
    assert "assignment.add" in written and "programme.publish" in written
    unknown = sorted(f"{n} ({', '.join(sorted(w))})" for n, w in written.items()
                     if not action_declared(n))  # fmt: skip
    assert not unknown, "Undeclared activity names:\n" + "\n".join(unknown)
    # A name built at run time is declared in each of its forms, and no new such place
    # appears unseen.
    assert set(built) == set(BUILT), f"Names built at run time: {built}"
    assert all(action_declared(n) for names in BUILT.values() for n in names)


def test_the_check_finds_a_name(tmp_path):
    sample = tmp_path / "services.py"
    sample.write_text(
        "def act(flag, kind):\n"
        "    activity_record(actor=None, action='paper.teleport')\n"
        "    action = 'paper.fly' if flag else 'paper.swim'\n"
        "    activity_record(actor=None, action=f'paper.{kind}')\n"
        "    can(user, 'reviews.assign')  # a permission, not an activity name\n"
    )
    names, built = names_written(sample)
    assert names == {"paper.teleport", "paper.fly", "paper.swim"} and built == [4]


def test_each_app_declares_its_names_once():
    owners: dict[str, list[str]] = {}
    for app in APPS:
        module = importlib.import_module(f"{app}.activity")
        choices = [
            value for attribute, value in vars(module).items()
            if attribute.endswith("Action") and isinstance(value, type)
            and issubclass(value, models.TextChoices)
        ]  # fmt: skip
        assert choices, f"{app}.activity declares no Action"
        for cls in choices:
            for name in cls.values:
                owners.setdefault(name, []).append(f"{app}.{cls.__name__}")
    twice = {n: o for n, o in owners.items() if len(o) > 1}
    assert not twice, f"Declared twice: {twice}"
    assert set(owners) == declared_actions()
    assert all(NAME.match(name) for name in owners), "names read <subject>.<verb>"
