"""Messages that say what is wrong, where, and with which value (issue 23, "Unclear
messages"): a review of a withdrawn paper names the paper and why it is kept aside (it
was "Not found."); a bad address names the value and the record; a missing address names
the author and the paper; columns missing from a file inside a zip name that file; a
multi-line CSV record is reported at its first line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from reviews.models import Review
from reviews.services.reviewing import default_form_create
from tests.factories import TopicFactory, WorkshopFactory, make_chair
from transfer.importers import run_import
from transfer.models import SourceRecord

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data" / "transfer"


@pytest.fixture
def ws():
    with transaction.atomic():
        workshop = WorkshopFactory(slug="clear-messages")
        for name in ("Efficiency", "Evaluation", "Safety"):
            TopicFactory(workshop=workshop, name=name)
        chair = make_chair(workshop)
        default_form_create(workshop)
        yield workshop, chair
        transaction.set_rollback(True)


def _import(ws, fmt: str, data: bytes, **kwargs):
    workshop, chair = ws
    return run_import(workshop=workshop, actor=chair, fmt=fmt, data=data, **kwargs)


def test_a_review_of_a_withdrawn_paper_names_the_paper_and_is_kept_for_the_chairs(ws):
    workshop, _ = ws
    assert _import(ws, "hotcrp-pc", (DATA / "hotcrp-pc.csv").read_bytes()).ok
    papers = json.loads((DATA / "hotcrp-papers.json").read_text())
    withdrawn = next(p for p in papers if p["pid"] == 2)
    withdrawn.update(withdrawn=True, status="withdrawn", decision=None)
    assert _import(ws, "hotcrp-papers", json.dumps(papers).encode()).ok
    report = _import(ws, "hotcrp-reviews-json", (DATA / "hotcrp-reviews.json").read_bytes())
    assert report.ok, report.errors  # not "Not found.": the file is fine
    assert all(e["message"] != "Not found." for e in report.errors)
    warning = next(w["message"] for w in report.warnings if "withdrawn" in w["message"])
    assert warning.startswith(f"A review of #2 “{withdrawn['title']}”, which was withdrawn")
    assert not Review.objects.filter(assignment__submission__workshop=workshop).exists()
    kept = SourceRecord.objects.get(workshop=workshop, kind="review")
    assert kept.data["answers"]["Paper summary"] == "JSON review ZQJSONREVIEW"
    fates = {(f["kind"], f["fate"]) for f in report.fields()}
    assert ("review", "kept for the chairs: its paper was withdrawn") in fates
