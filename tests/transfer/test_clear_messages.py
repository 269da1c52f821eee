"""Messages that say what is wrong, where, and with which value (issue 23, "Unclear
messages"): a review of a withdrawn paper names the paper and why it is kept aside (it
was "Not found."); a bad address names the value and the record; a missing address names
the author and the paper; columns missing from a file inside a zip name that file; a
multi-line CSV record is reported at its first line."""

from __future__ import annotations

import io
import json
import zipfile
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


def test_an_authors_bad_address_names_the_value_the_author_and_the_paper(ws):
    papers = json.loads((DATA / "hotcrp-papers.json").read_text())
    papers[0]["authors"][1]["email"] = "bob(at)uni-b.example.edu"
    report = _import(ws, "hotcrp-papers", json.dumps(papers).encode(), dry_run=True)
    assert {
        "line": "record 1",
        "message": "Author 2 (“Bob Builder”) of paper 1: “bob(at)uni-b.example.edu” is not an "
        "e-mail address.",
    } in report.errors, report.errors
    assert all("Enter a valid email address" not in e["message"] for e in report.errors)


def test_an_openreview_author_id_that_is_no_address_nor_profile_is_named(ws):
    note = {
        "id": "f1", "forum": "f1", "number": 1,
        "content": {"title": {"value": "T"}, "authors": {"value": ["Ann Bee", "Cy Dee"]},
                    "authorids": {"value": ["~Ann_Bee1", "cy at uni.example.org"]}},
    }  # fmt: skip
    report = _import(ws, "openreview-notes", json.dumps([note]).encode(), dry_run=True)
    assert report.errors == [{
        "line": "note 1",
        "message": "Author 2 (“Cy Dee”): “cy at uni.example.org” is neither an e-mail address "
        "nor an OpenReview profile id (~Name1).",
    }]  # fmt: skip


def test_a_missing_column_names_the_file_inside_the_zip(ws):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/submission.csv", "#,authors\n1,Ada\n")
    report = _import(ws, "easychair", buffer.getvalue(), dry_run=True)
    assert {"line": "submission.csv:1", "message": "Missing column of submission.csv: title."} in (
        report.errors
    ), report.errors


def test_a_multi_line_record_is_reported_at_its_first_line(ws):
    """Record 1 runs over lines 2 to 4 (a quoted affiliation with line breaks); its bad
    address is reported at line 2, where the record starts, and record 2 at line 5."""
    pc = (
        'email,first,last,affiliation,roles\n'
        'not-an-address,Rev,One,"Uni\nof\nPlaces",pc\n'
        "also-bad,Rev,Two,Uni B,pc\n"
    )  # fmt: skip
    report = _import(ws, "hotcrp-pc", pc.encode(), dry_run=True)
    lines = [e["line"] for e in report.errors]
    assert lines == [2, 5], report.errors
    assert "not-an-address" in report.errors[0]["message"]


def test_a_new_account_refused_names_the_address_the_field_and_its_value(ws):
    """A committee member without a name: not Django's bare "This field cannot be blank."
    but whose account, which field and what it held."""
    committee = (
        "#,person #,first name,last name,email,country,affiliation,Web page,role\n"
        "1,1,,,nameless@pc.example.org,,,,PC member\n"
    )
    report = _import(ws, "easychair-committee", committee.encode(), dry_run=True)
    assert report.errors == [{
        "line": "committee.csv:2",
        "message": "nameless@pc.example.org: name “”: This field cannot be blank.",
    }], report.errors  # fmt: skip
