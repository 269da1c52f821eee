"""OpenReview notes of every kind in one file, as its API answers and as openreview-py's
`Note.to_json()` writes them (no `number`; content fields as {"value": …}; reviews signed
by anonymous groups; profile ids among the authorids). No OpenReview server runs here, so
the notes follow openreview-py's client (openreview/api/client.py, `Note.to_json`)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from reviews.models import Decision, Review
from reviews.services.reviewing import default_form_create
from submissions.models import Submission
from tests.factories import UserFactory, WorkshopFactory, make_chair
from transfer.importers import run_import
from transfer.models import SourceRecord
from workshop.models import Role
from workshop.services import membership_grant

pytestmark = pytest.mark.django_db
VENUE = "OSLLM.org/2026/Workshop"


def _v(value):
    return {"value": value}


def notes() -> list[dict]:
    drafted = {  # openreview-py's to_json(): no number
        "id": "fDraft1",
        "forum": "fDraft1",
        "content": {
            "title": _v("Distilling Without Forgetting"),
            "abstract": _v("Small models keep what matters."),
            "authors": _v(["Ada One", "Bo Two"]),
            "authorids": _v(["~Ada_One1", "bo@uni-b.example.edu"]),
            "TLDR": _v("Distil carefully."),
        },
        "invitations": [f"{VENUE}/-/Submission"],
        "cdate": 1767225600000,
        "signatures": [f"{VENUE}/Submission1/Authors"],
    }
    numbered = {  # the API's own note
        "id": "fPub7",
        "forum": "fPub7",
        "number": 7,
        "content": {
            "title": _v("Open Data Cards"),
            "abstract": _v("Documenting datasets."),
            "authors": _v(["Cy Three"]),
            "authorids": _v(["cy@uni-c.example.edu"]),
        },
        "invitations": [f"{VENUE}/-/Submission"],
    }
    anonymous = {
        "id": "rAnon",
        "forum": "fPub7",
        "replyto": "fPub7",
        "invitations": [f"{VENUE}/Submission7/-/Official_Review"],
        "signatures": [f"{VENUE}/Submission7/Reviewer_abcd"],
        "content": {"rating": _v(4), "review": _v("Useful cards.")},
    }
    named = {
        "id": "rNamed",
        "forum": "fPub7",
        "replyto": "fPub7",
        "invitations": [f"{VENUE}/Submission7/-/Official_Review"],
        "signatures": [f"{VENUE}/Submission7/Reviewer_wxyz"],
        "content": {
            "reviewer_email": _v("rev@pc.example.org"),
            "rating": _v("5: Strong accept"),
            "summary": _v("Cards for every dataset."),
        },
    }
    decision = {
        "id": "dec7",
        "forum": "fPub7",
        "replyto": "fPub7",
        "invitations": [f"{VENUE}/Submission7/-/Decision"],
        "signatures": [f"{VENUE}/Program_Chairs"],
        "content": {"decision": _v("Accept (Poster)"), "comment": _v("Congratulations.")},
    }
    meta = {
        "id": "meta7",
        "forum": "fPub7",
        "replyto": "fPub7",
        "invitations": [f"{VENUE}/Submission7/-/Meta_Review"],
        "signatures": [f"{VENUE}/Submission7/Area_Chair_qrst"],
        "content": {"metareview": _v("Accept."), "recommendation": _v("Accept (Poster)")},
    }
    comment = {
        "id": "com7",
        "forum": "fPub7",
        "replyto": "rAnon",
        "invitations": [f"{VENUE}/Submission7/-/Official_Comment"],
        "signatures": [f"{VENUE}/Submission7/Authors"],
        "content": {"comment": _v("Thank you.")},
    }
    return [drafted, numbered, anonymous, named, decision, meta, comment]


@pytest.fixture
def ws():
    with transaction.atomic():
        workshop = WorkshopFactory(slug="from-openreview")
        chair = make_chair(workshop)
        default_form_create(workshop)
        reviewer = UserFactory(email="rev@pc.example.org")
        membership_grant(workshop=workshop, user=reviewer, role=Role.REVIEWER, actor=chair)
        yield workshop, chair
        transaction.set_rollback(True)


def test_a_venues_notes_of_every_kind_import_in_one_file(ws):
    workshop, chair = ws
    data = json.dumps({"notes": notes()}).encode()
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data)
    assert report.ok, report.errors
    papers = {s.title: s for s in Submission.objects.filter(workshop=workshop)}
    assert papers["Open Data Cards"].number == 7
    assert papers["Distilling Without Forgetting"].number == 8  # numbered here
    drafted = papers["Distilling Without Forgetting"]
    assert [(a.name, a.email, a.is_contact) for a in drafted.authors.order_by("position")] == [
        ("Ada One", "", False),
        ("Bo Two", "bo@uni-b.example.edu", True),
    ]
    kept = SourceRecord.objects.get(workshop=workshop, kind="paper", source_id="fDraft1")
    assert kept.data["TLDR"] == "Distil carefully."
    assert kept.data["OpenReview profiles"] == {"Ada One": "~Ada_One1"}
    decision = Decision.objects.get(submission=papers["Open Data Cards"])
    # OpenReview's "Accept (Poster)" is our default "Accept (poster)": the same name.
    assert (decision.category.name, decision.category.outcome) == ("Accept (poster)", "accept")
    review = Review.objects.get(assignment__submission=papers["Open Data Cards"])
    assert review.assignment.reviewer.email == "rev@pc.example.org"
    assert review.answers.get(question__is_recommendation=True).value == 5
    # Signed by an anonymous group: kept whole for the chairs, not given to anybody.
    anonymous = SourceRecord.objects.get(workshop=workshop, kind="review", source_id="rAnon")
    assert anonymous.data["answers"]["review"] == "Useful cards."
    kinds = set(SourceRecord.objects.filter(workshop=workshop).values_list("kind", "source_id"))
    assert {("meta_review", "meta7"), ("comment", "com7")} <= kinds
    # One note at a time, as to_json() writes it, is a file too; the same notes again
    # change nothing.
    again = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data)
    assert again.ok and again.changes == []
    one = run_import(
        workshop=workshop,
        actor=chair,
        fmt="openreview-notes",
        data=json.dumps(notes()[0]).encode(),
        dry_run=True,
    )
    assert one.ok and one.changes == []
