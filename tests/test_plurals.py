"""No "(s)" plural in anything a person reads (issue 24): templates and the string literals of
the apps (messages, errors, activity summaries, logs) say "1 paper" and "2 papers", through
`pluralize` in templates and `workshop.plurals.counted` / `ngettext` in code."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from workshop.plurals import counted

ROOT = Path(__file__).resolve().parents[1]
APPS = ("workshop", "submissions", "reviews", "programme", "transfer", "api")
PLURAL_S = re.compile(r"\w\(s\)")


def _strings(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.STRING]


def test_no_template_writes_a_plural_as_s_in_brackets():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in sorted((ROOT / "templates").rglob("*.*"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if PLURAL_S.search(line)
    ]
    assert found == []


def test_no_string_in_the_apps_writes_a_plural_as_s_in_brackets():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {text[:100]}"
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for number, text in _strings(path)
        if PLURAL_S.search(text)
    ]
    assert found == []


def test_counted_says_one_and_many():
    assert counted(1, "paper") == "1 paper"
    assert counted(0, "paper") == "0 papers"
    assert counted(3, "decision mail") == "3 decision mails"
    assert counted(2, "person", "people") == "2 people"
