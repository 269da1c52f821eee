"""No HTML form of the project answers 500, whatever a role sends to it (issue 30).

Every route of the URL resolver, opened as each role, every `<form>` on the pages it
serves (the admin's add and change forms, its actions and their confirmation pages included),
each field sent with hostile values drawn from `payloads` with a fixed seed. The bounded
in-suite run sends a few values per field; a run by hand sends more:

    FUZZ_EXAMPLES=30 .venv/bin/python -m pytest -p no:xdist tests/fuzz
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .runner import EXAMPLES, Fuzzer, report
from .world import ROLE_EMAILS

pytestmark = pytest.mark.django_db


def test_no_form_answers_500(fuzz_world):
    """Every role in turn; in the bounded run a form is fuzzed for the first role that opens
    it (roles from the least to the most privileged)."""
    seen: set = set()
    findings = []
    for role in ROLE_EMAILS:
        fuzzer = Fuzzer(fuzz_world, role, seen_forms=seen)
        findings += fuzzer.run()
        print(f"{role}: {fuzzer.forms} forms, {fuzzer.requests} requests ({EXAMPLES} per field)")
        if os.environ.get("FUZZ_REPORT"):  # a directory for the findings of a run by hand
            Path(os.environ["FUZZ_REPORT"], f"{role}.txt").write_text(report(fuzzer.findings))
    assert len(seen) > 100
    assert not findings, report(findings)
