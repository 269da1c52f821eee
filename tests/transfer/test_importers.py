"""HotCRP, OpenReview and EasyChair samples import through the services; bad input gets a
line-numbered report and changes nothing; a dry run changes nothing and queues no mail."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import transaction

from reviews.models import (
    AffinityScore,
    ConflictOverride,
    Decision,
    Review,
    ReviewQuestion,
    ReviewStatus,
    TopicExpertise,
)
from reviews.selectors.matching import matching_input
from reviews.services.reviewing import default_form_create
from submissions.models import Submission, SubmissionStatus
from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from transfer.importers import run_import
from workshop.models import Activity, Membership, OutgoingMail, Role, User
from workshop.policy import SYSTEM

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data" / "transfer"


@pytest.fixture(scope="module")
def ws(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        workshop = WorkshopFactory(slug="transfer-ws")
        for name in ("Efficiency", "Evaluation", "Safety"):
            TopicFactory(workshop=workshop, name=name)
        chair = make_chair(workshop)
        default_form_create(workshop)
        yield {"workshop": workshop, "chair": chair}
        transaction.set_rollback(True)


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def run(ws, fmt: str, data: bytes, **kwargs):
    return run_import(workshop=ws["workshop"], actor=ws["chair"], fmt=fmt, data=data, **kwargs)


def counts() -> dict[str, int]:
    """Rows of every model of the project: what "changes nothing" compares."""
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in ("workshop", "submissions", "reviews", "transfer", "account")
        and not m._meta.proxy
    }


# --- HotCRP ----------------------------------------------------------------------------------


def test_hotcrp_pc_papers_and_reviews_import(ws):
    workshop = ws["workshop"]
    report = run(ws, "hotcrp-pc", load("hotcrp-pc.csv"))
    assert report.ok, report.errors
    assert set(Membership.objects.filter(workshop=workshop).values_list("user__email", "role")) >= {
        ("rev.one@pc.example.org", Role.REVIEWER),
        ("rev.two@pc.example.org", Role.REVIEWER),
        ("ac.three@pc.example.org", Role.AREA_CHAIR),
    }
    one = User.objects.get(email="rev.one@pc.example.org")
    assert not one.has_usable_password() and one.name == "Rev One"
    assert TopicExpertise.objects.get(profile__user=one, topic__name="Efficiency").level == "expert"

    report = run(ws, "hotcrp-papers", load("hotcrp-papers.json"))
    assert report.ok, report.errors
    papers = {s.number: s for s in Submission.objects.filter(workshop=workshop)}
    assert papers[1].title == "Sparse Mixture Routing for Open Models"
    assert papers[1].status == SubmissionStatus.ACCEPTED
    assert papers[1].submitted_at.isoformat() == "2026-03-01T00:00:00+00:00"
    assert papers[2].status == SubmissionStatus.REJECTED
    assert papers[3].status == SubmissionStatus.WITHDRAWN
    assert [a.email for a in papers[1].authors.order_by("position")] == [
        "ada@uni-a.example.edu",
        "bob@uni-b.example.edu",
    ]
    assert papers[1].primary_topic.name == "Efficiency"
    assert [t.name for t in papers[1].secondary_topics.all()] == ["Evaluation"]
    assert papers[3].primary_topic.name == "Safety"
    assert Decision.objects.get(submission=papers[1]).category.outcome == "accept"
    assert ConflictOverride.objects.get(submission=papers[1], user=one).conflicted
    assert Activity.objects.filter(workshop=workshop, action="decision.record").count() == 2
    assert Activity.objects.filter(workshop=workshop, action="transfer.import").count() == 2

    report = run(ws, "hotcrp-reviews-csv", load("hotcrp-reviews.csv"))
    assert report.ok, report.errors
    review = Review.objects.get(assignment__submission=papers[1])
    assert review.status == ReviewStatus.SUBMITTED
    assert review.assignment.reviewer.email == "rev.two@pc.example.org"
    answers = {a.question.label: a.value for a in review.answers.all()}
    assert answers["Overall recommendation"] == 4 and answers["Confidence"] == 3
    assert answers["Summary"] == "Routes tokens sparsely. ZQHOTCRPREVIEW"
    assert answers["Weaknesses"] == "Small models only"
    # A field our form lacks gets a retired question of its own, read by whom HotCRP
    # showed it to, instead of being appended to another answer.
    assert answers["Comments for authors"] == "Please add ablations."
    extra = ReviewQuestion.objects.get(workshop=workshop, label="Comments for authors")
    assert not extra.active and extra.visibility == "authors"

    report = run(ws, "hotcrp-reviews-json", load("hotcrp-reviews.json"))
    assert report.ok, report.errors
    review = Review.objects.get(
        assignment__submission=papers[2], assignment__reviewer__email="rev.two@pc.example.org"
    )
    assert review.submitted_at.year == 2026 and review.submitted_at.month == 1
    assert "ZQJSONREVIEW" in review.answers.get(question__label="Summary").value


def test_a_reviews_own_data_never_becomes_text_that_authors_read(ws):
    """HotCRP's review JSON carries the reviewer's name and e-mail beside the answers; the
    importer once appended every unknown key to the first author-visible answer."""
    run(ws, "hotcrp-pc", load("hotcrp-pc.csv"))
    run(ws, "hotcrp-papers", load("hotcrp-papers.json"))
    record = {
        "object": "review",
        "pid": 2,
        "rid": 7,
        "ordinal": "B",
        "status": "complete",
        "reviewer": "Rev Two",
        "reviewer_email": "rev.two@pc.example.org",
        "modified_at_text": "Apr 2, 2026 by Rev Two <rev.two@pc.example.org>",
        "Overall merit": 3,
        "Paper summary": "Sound work.",
        "Strengths": "s",
        "Weaknesses": "w",
    }
    report = run(ws, "hotcrp-reviews-json", json.dumps({"ok": True, "reviews": [record]}).encode())
    assert report.ok, report.errors
    review = Review.objects.get(
        assignment__submission__number=2, assignment__reviewer__email="rev.two@pc.example.org"
    )
    text = " ".join(str(a.value) for a in review.answers.all())
    assert "rev.two" not in text and "Rev Two" not in text
    fates = {(f["field"], f["fate"]) for f in report.fields()}
    assert ("modified_at_text", "kept for the chairs (source data)") in fates


def test_a_review_of_a_conflicted_reviewer_is_refused_by_the_service(ws):
    run(ws, "hotcrp-pc", load("hotcrp-pc.csv"))
    run(ws, "hotcrp-papers", load("hotcrp-papers.json"))
    bad = (
        b"paper,email,Overall merit,Paper summary,Strengths,Weaknesses\n"
        b"1,rev.one@pc.example.org,4,x,y,z\n"
    )
    before = counts()
    report = run(ws, "hotcrp-reviews-csv", bad)
    assert not report.ok
    assert report.errors[0]["line"] == 2 and "conflict" in report.errors[0]["message"]
    assert counts() == before


# --- OpenReview ------------------------------------------------------------------------------


def test_openreview_notes_and_affinity_import(ws):
    workshop = ws["workshop"]
    run(ws, "hotcrp-pc", load("hotcrp-pc.csv"))
    report = run(ws, "openreview-notes", load("openreview-notes.json"))
    assert report.ok, report.errors
    paper = Submission.objects.get(workshop=workshop, number=11)
    assert "ZQOPENREVIEWPAPER" in paper.abstract and paper.keywords == "openness, licensing"
    assert [a.email for a in paper.authors.all()] == [
        "eve@uni-e.example.edu",
        "fay@uni-f.example.edu",
    ]
    review = Review.objects.get(assignment__submission=paper)
    answers = {a.question.label: a.value for a in review.answers.all()}
    assert answers["Overall recommendation"] == 4 and answers["Confidence"] == 3
    assert "ZQORREVIEW" in answers["Summary"]

    report = run(ws, "openreview-affinity", load("openreview-affinity.csv"))
    assert report.ok, report.errors
    scores = {
        (a.submission.number, a.user.email): a.score
        for a in AffinityScore.objects.filter(workshop=workshop)
    }
    assert scores == {
        (11, "rev.one@pc.example.org"): 0.91,
        (11, "rev.two@pc.example.org"): 0.35,
        (12, "rev.two@pc.example.org"): 0.77,
    }
    # The matching engine adds them to its own affinity (scaled into 0..1).
    instance = matching_input(workshop)
    pidx, ridx = instance.paper_index(), instance.reviewer_index()
    imported = instance.parts["imported"]
    one = User.objects.get(email="rev.one@pc.example.org")
    two = User.objects.get(email="rev.two@pc.example.org")
    assert paper.pk in pidx and one.pk in ridx and two.pk in ridx
    assert imported[pidx[paper.pk], ridx[one.pk]] == pytest.approx(1.0)
    assert imported[pidx[paper.pk], ridx[two.pk]] == pytest.approx(0.0)
    without = matching_input(workshop, {"imported": 0.0}).affinity
    assert instance.affinity[pidx[paper.pk], ridx[one.pk]] == pytest.approx(
        without[pidx[paper.pk], ridx[one.pk]] + 1.0
    )


def test_a_later_headerless_affinity_file_resolves_papers_by_their_forum_id(ws):
    """OpenReview's matching setup takes headerless rows of forum id, member and score (its
    venue tests write them with csv.writer); the notes imported before recorded each
    paper's forum id."""
    run(ws, "hotcrp-pc", load("hotcrp-pc.csv"))
    run(ws, "openreview-notes", load("openreview-notes.json"))
    data = b"forumAAA1,rev.one@pc.example.org,0.5\r\nforumBBB2,REV.TWO@pc.example.org,0.25\r\n"
    report = run(ws, "openreview-affinity", data)
    assert report.ok, report.errors
    scores = {
        (a.submission.number, a.user.email): a.score
        for a in AffinityScore.objects.filter(workshop=ws["workshop"])
    }
    assert scores[(11, "rev.one@pc.example.org")] == 0.5
    assert scores[(12, "rev.two@pc.example.org")] == 0.25
    bad = run(ws, "openreview-affinity", b"forumAAA1,~Jane_Doe1,0.5\n", dry_run=True)
    assert [e["line"] for e in bad.errors] == [1]
    assert "OpenReview profile id" in bad.errors[0]["message"]


# --- EasyChair: tests/transfer/test_real_easychair.py, on EasyChair's real layout ----------


# --- Bad input -------------------------------------------------------------------------------


def _paper(pid: int, title: str, email: str = "x@uni.example.edu", **extra) -> dict:
    return {
        "pid": pid,
        "title": title,
        "submitted": True,
        "authors": [{"email": email, "first": "X", "last": "Y", "contact": True}],
        **extra,
    }


BAD_CASES = {
    "malformed JSON": (b'[{"pid": 1,\n "title": }]', 2, "Malformed JSON"),
    "unknown topic": (
        json.dumps([_paper(1, "Fine"), _paper(2, "Topic", topics=["Astrology"])]).encode(),
        "record 2",
        "Unknown topic",
    ),
    "duplicate paper": (
        json.dumps([_paper(1, "One"), _paper(1, "Two")]).encode(),
        "record 2",
        "Duplicate paper",
    ),
    "duplicate title": (
        json.dumps([_paper(1, "Same"), _paper(2, "same")]).encode(),
        "record 2",
        "Duplicate paper",
    ),
    "two accounts": (
        json.dumps([_paper(1, "Fine"), _paper(2, "Twice", email="twice@uni.example.edu")]).encode(),
        "record 2",
        "matches 2 accounts",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_gets_a_line_numbered_report_and_changes_nothing(ws, case):
    data, line, message = BAD_CASES[case]
    first = UserFactory(email="twice@uni.example.edu")
    second = UserFactory()
    EmailAddress.objects.create(user=second, email="TWICE@uni.example.edu", verified=True)
    assert first.pk != second.pk
    before = counts()
    report = run(ws, "hotcrp-papers", data)
    assert not report.ok
    assert any(e["line"] == line and message in e["message"] for e in report.errors), report.errors
    assert counts() == before


def test_bad_csv_lines_are_numbered(ws):
    data = b"email,first,last\nok@pc.example.org,A,B\nnot-an-email,C,D\n"
    before = counts()
    report = run(ws, "hotcrp-pc", data)
    assert report.errors == [{"line": 3, "message": "Not an e-mail address: 'not-an-email'."}]
    assert counts() == before
    report = run(ws, "hotcrp-pc", b"first,last\nA,B\n")
    assert report.errors[0]["line"] == 1 and "email" in report.errors[0]["message"]


def test_a_file_over_the_limit_is_refused(ws, settings):
    settings.TRANSFER_MAX_UPLOAD_MB = 1
    before = counts()
    report = run(ws, "hotcrp-papers", b" " * (1024 * 1024 + 1))
    assert not report.ok and "over the import limit" in report.errors[0]["message"]
    assert counts() == before


def test_a_zip_bomb_and_a_path_out_of_the_archive_are_refused(ws):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../etc/committee.csv", b"email\n")
        archive.writestr("submission.csv", b"0" * 5_000_000)
    report = run(ws, "easychair", buffer.getvalue())
    messages = " ".join(e["message"] for e in report.errors)
    assert "leaves the archive" in messages and "zip bomb" in messages


# --- Dry run ---------------------------------------------------------------------------------


def test_a_dry_run_reports_what_would_change_changes_nothing_and_queues_no_mail(
    ws, django_capture_on_commit_callbacks
):
    before = counts()
    mails = OutgoingMail.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(ws, "hotcrp-pc", load("hotcrp-pc.csv"), dry_run=True)
        report = run(ws, "hotcrp-papers", load("hotcrp-papers.json"), dry_run=True)
    assert report.dry_run
    assert report.counts()["paper.create"] == 3
    assert {c["line"] for c in report.changes} >= {"record 1", "record 2", "record 3"}
    assert counts() == before
    assert OutgoingMail.objects.count() == mails
    assert callbacks == []


def test_the_command_actor_is_the_system_acting_for_the_first_chair(ws):
    report = run_import(
        workshop=ws["workshop"], actor=SYSTEM, fmt="hotcrp-papers", data=load("hotcrp-papers.json")
    )
    assert report.ok, report.errors
    decision = Decision.objects.get(submission__workshop=ws["workshop"], submission__number=1)
    assert decision.decided_by == ws["chair"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_a_non_finite_score_is_named_as_not_a_score(ws, value):
    run(ws, "hotcrp-pc", load("hotcrp-pc.csv"))
    run(ws, "hotcrp-papers", load("hotcrp-papers.json"))
    data = (
        "paper,email,Overall merit,Paper summary,Strengths,Weaknesses\n"
        f"2,rev.one@pc.example.org,{value},x,y,z\n"
    ).encode()
    report = run(ws, "hotcrp-reviews-csv", data, dry_run=True)
    assert [e["line"] for e in report.errors] == [2]
    assert "is not a score" in report.errors[0]["message"]
