"""EasyChair's "conference data" as its chairs download it (the layout of
`tests/data/transfer/real/easychair/`, learnt from the tools that read real exports: see the
README there) imports as it comes: every score in one multi-line `scores` cell, text fields
by their bracketed titles, `withdrawn`, associate chairs, topics and bids; scores are mapped
to our questions only as the chair confirms; messages name the file, the record's first
line, the column and the value."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from reviews.models import Bid, Review, ReviewQuestion, ReviewStatus, TopicExpertise
from reviews.services.reviewing import default_form_create
from submissions.models import Submission, SubmissionStatus
from tests.factories import TopicFactory, WorkshopFactory, make_chair
from transfer.formats import easychair
from transfer.importers import run_import
from transfer.models import SourceRecord, TransferJob
from transfer.report import Report
from workshop.models import Membership, Role

from .easychair_files import REAL, files, zipped

pytestmark = pytest.mark.django_db
# The chair's mapping of the form's 1..10 "Overall evaluation" onto our 1..5.
OVERALL = {str(v): (v + 1) // 2 for v in range(1, 11)}


def counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in ("workshop", "submissions", "reviews", "transfer")
    }


@pytest.fixture
def ws():
    workshop = WorkshopFactory(slug="from-easychair")
    for name in ("Efficiency", "Evaluation", "Safety"):
        TopicFactory(workshop=workshop, name=name)
    chair = make_chair(workshop)
    default_form_create(workshop)
    return {"workshop": workshop, "chair": chair}


def run(ws, data: bytes, fmt: str = "easychair", **kwargs):
    return run_import(workshop=ws["workshop"], actor=ws["chair"], fmt=fmt, data=data, **kwargs)


@pytest.fixture
def migrated(ws):
    report = run(ws, zipped(files()), options={"score_maps": {"overall evaluation": OVERALL}})
    assert report.ok, report.errors
    return {**ws, "report": report}


def test_the_fixtures_keep_easychairs_layout():
    """The files are as EasyChair writes them: UTF-8 without a BOM, LF, the real headers,
    every score in one multi-line cell."""
    review = (REAL / "review.csv").read_bytes()
    assert not review.startswith(b"\xef\xbb\xbf") and b"\r\n" not in review
    assert review.splitlines()[0].decode() == (
        '#,"submission #","member #","member name",number,version,text,scores,"total score",'
        '"reviewer first name","reviewer last name","reviewer email","reviewer person #",'
        "date,time,attachment?"
    )
    assert b'"Overall evaluation: 8\nReviewer\'s confidence: 4"' in review


def test_papers_authors_decisions_and_withdrawals(migrated):
    workshop = migrated["workshop"]
    papers = {s.number: s for s in Submission.objects.filter(workshop=workshop)}
    assert sorted(papers) == [1, 2, 3, 4, 5, 6]
    assert papers[1].status == SubmissionStatus.ACCEPTED
    assert papers[1].keywords == "sparse attention, long context"
    assert papers[1].abstract == "We study sparse attention.\nIt scales to long inputs."
    assert papers[1].submitted_at.isoformat().startswith("2026-03-01T10:00")
    # "withdrawn" as a decision, and a deleted submission: withdrawn papers, no decision.
    assert papers[2].status == SubmissionStatus.WITHDRAWN
    assert papers[5].status == SubmissionStatus.WITHDRAWN
    assert papers[3].status == SubmissionStatus.REJECTED
    assert papers[4].status == SubmissionStatus.SUBMITTED
    assert papers[6].decision.category.outcome == "desk_reject"
    authors = list(papers[1].authors.order_by("position").values_list("email", "is_contact"))
    assert authors == [
        ("ada@uni-a.example.edu", False),
        ("ben@uni-b.example.edu", True),
        ("cleo@lab-c.example.org", False),
    ]
    # Topics come from submission_topic.csv; one of them only from topics.csv.
    assert papers[2].primary_topic.name == "Tokenization and Scripts"
    assert {t.name for t in papers[1].secondary_topics.all()} == {"Evaluation"}
    # What has no field here stays with the chairs (EasyChair's person numbers and more).
    kept = SourceRecord.objects.get(workshop=workshop, kind="paper", source_id="1")
    assert kept.data["notified"] == "yes"
    assert kept.data["authors (EasyChair)"][0]["person #"] == "101"


def test_roles_topics_and_bids(migrated):
    workshop = migrated["workshop"]
    roles = {}
    for email, role in Membership.objects.filter(workshop=workshop).values_list(
        "user__email", "role"
    ):
        roles.setdefault(email, set()).add(role)
    assert roles["nia@pc.example.org"] == {Role.AREA_CHAIR}  # EasyChair's associate chair
    assert roles["max@pc.example.org"] == {Role.AREA_CHAIR}  # senior PC member
    assert Role.CHAIR in roles["ola@pc.example.org"]
    assert roles["pat@pc.example.org"] == {Role.REVIEWER}
    # topics.csv: the missing topic created, the area headings not.
    names = set(workshop.topics.values_list("name", flat=True))
    assert "Tokenization and Scripts" in names and "Language Models" not in names
    expertise = set(
        TopicExpertise.objects.filter(profile__workshop=workshop).values_list(
            "profile__user__email", "topic__name"
        )
    )
    assert ("kim@pc.example.org", "Efficiency") in expertise
    assert ("pat@pc.example.org", "Tokenization and Scripts") in expertise
    bids = set(
        Bid.objects.filter(submission__workshop=workshop).values_list(
            "user__email", "submission__number", "value"
        )
    )
    assert ("kim@pc.example.org", 1, "eager") in bids
    assert ("kim@pc.example.org", 4, "willing") in bids
    assert len(bids) == 6


def _answers(review: Review) -> dict[str, object]:
    return {a.question.label: a.value for a in review.answers.select_related("question")}


def test_scores_from_the_one_cell_and_text_by_its_sections(migrated):
    workshop = migrated["workshop"]
    review = Review.objects.get(
        assignment__submission__workshop=workshop,
        assignment__submission__number=1,
        assignment__reviewer__email="kim@pc.example.org",
    )
    answers = _answers(review)
    assert answers["Overall recommendation"] == 4  # 8 of 10, as the chair mapped it
    assert answers["Confidence"] == 4  # 1..5 on both sides: as it is
    assert answers["Summary"] == "The paper makes sparse attention cheap."
    assert answers["Strengths"] == "Clear experiments."
    assert answers["Weaknesses"] == "One dataset only."
    assert not any(str(v).startswith("text") for v in answers.values())
    # The remarks for the programme committee never reach a question the authors read.
    remarks = ReviewQuestion.objects.get(
        workshop=workshop, label="Confidential remarks for the programme committee"
    )
    assert remarks.visibility == "committee" and not remarks.active
    assert answers[remarks.label] == "I know the group; still fine."
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_at.isoformat().startswith("2026-04-10T09:30")
    # A text with no sections is EasyChair's one review text, kept as it is.
    plain = Review.objects.get(
        assignment__submission__workshop=workshop,
        assignment__reviewer__email="lou@pc.example.org",
        assignment__submission__number=1,
    )
    assert _answers(plain)["Review"] == "Solid and useful. ZQPLAINREVIEW"


def test_a_meta_review_is_kept_for_the_chairs_with_its_paper(migrated):
    kept = SourceRecord.objects.get(workshop=migrated["workshop"], kind="meta_review")
    assert kept.target.number == 1 and kept.data["recommendation"] == "accept"
    assert kept.data["pc-only part"] == "Kim knows the group; I checked the review."


def test_a_subreviewers_identity_stays_with_the_chairs(migrated):
    workshop = migrated["workshop"]
    review = Review.objects.get(
        assignment__submission__workshop=workshop,
        assignment__reviewer__email="pat@pc.example.org",
    )
    assert not any("Quinn" in str(v) or "quinn@" in str(v) for v in _answers(review).values())
    kept = SourceRecord.objects.get(workshop=workshop, kind="review", source_id="3")
    assert kept.data["reviewer email"] == "quinn@sub.example.org"
    assert kept.object_id == review.pk


def test_the_dry_run_shows_the_mapping_and_a_real_run_waits_for_its_confirmation(ws):
    before = counts()
    dry = run(ws, zipped(files()), dry_run=True)
    assert dry.ok, dry.errors
    assert counts() == before
    overall = next(m for m in dry.mappings if m["field"] == "Overall evaluation")
    assert not overall["confirmed"] and not overall["identity"]
    assert overall["question"] == "Overall recommendation"
    assert [1, 1] in overall["table"] and [8, 5] in overall["table"]
    confidence = next(m for m in dry.mappings if m["field"] == "Reviewer's confidence")
    assert confidence["identity"] and confidence["confirmed"]
    assert any("confirm this mapping" in w["message"] for w in dry.warnings)
    # What confirming the dry run passes: the proposal, as the real run takes it.
    assert dry.score_maps() == {"overall evaluation": {str(k): v for k, v in overall["table"]}}
    # Without the confirmation a real run rescales nothing: it refuses, and says why.
    refused = run(ws, zipped(files()))
    assert not refused.ok and counts() == before
    assert any(
        "Overall evaluation" in e["message"] and "confirmation" in e["message"]
        for e in refused.errors
    )
    # Confirmed, the proposal is what is stored.
    done = run(ws, zipped(files()), options={"score_maps": dry.score_maps()})
    assert done.ok, done.errors
    review = Review.objects.get(
        assignment__submission__workshop=ws["workshop"],
        assignment__reviewer__email="lou@pc.example.org",
        assignment__submission__number=3,
    )
    assert _answers(review)["Overall recommendation"] == 1


def test_a_score_the_confirmed_mapping_lacks_is_named_by_file_line_and_value(ws):
    review = (
        (REAL / "review.csv")
        .read_bytes()
        .replace(b"Overall evaluation: 6", b"Overall evaluation: 12")
    )
    before = counts()
    report = run(
        ws,
        zipped(files(**{"review.csv": review})),
        options={"score_maps": {"overall evaluation": OVERALL}},
    )
    assert not report.ok and counts() == before
    error = next(e for e in report.errors if "12" in e["message"])
    # The record starts on line 14 of review.csv (the one before it runs over 12 lines).
    assert error["line"] == "review.csv:14"
    assert "Overall evaluation" in error["message"]


def test_a_malformed_score_line_names_file_first_line_column_and_value(ws):
    review = (
        (REAL / "review.csv")
        .read_bytes()
        .replace(b"Reviewer's confidence: 5", b"Reviewer's confidence: high")
    )
    report = run(ws, zipped(files(**{"review.csv": review})), dry_run=True)
    assert not report.ok
    [error] = report.errors
    assert error["line"] == "review.csv:16"
    assert "scores" in error["message"] and "Reviewer's confidence: high" in error["message"]


def test_a_missing_column_names_the_file_inside_the_zip(ws):
    committee = (REAL / "committee.csv").read_bytes().replace(b",email,", b",e-mail,", 1)
    report = run(ws, zipped(files(**{"committee.csv": committee})), dry_run=True)
    assert {"line": "committee.csv:1", "message": "Missing column of committee.csv: email."} in (
        report.errors
    )


def test_an_unknown_role_or_decision_is_named_with_its_value(ws):
    committee = (REAL / "committee.csv").read_bytes().replace(b"associate chair", b"treasurer")
    submission = (REAL / "submission.csv").read_bytes().replace(b",reject,", b",postponed,")
    report = run(
        ws,
        zipped(files(**{"committee.csv": committee, "submission.csv": submission})),
        dry_run=True,
    )
    messages = {e["line"]: e["message"] for e in report.errors}
    assert "'treasurer'" in messages["committee.csv:5"] and "role" in messages["committee.csv:5"]
    line = next(k for k in messages if k.startswith("submission.csv"))
    assert "'postponed'" in messages[line] and "decision" in messages[line]
    # Paper 3's record starts on line 6: paper 1 runs over lines 2 to 4, paper 2 is line 5.
    assert line == "submission.csv:6"


def test_a_deleted_submission_with_a_decision_is_withdrawn_and_its_decision_kept(ws):
    """EasyChair keeps the decision of a submission deleted afterwards (its chairs' scripts
    skip "deleted submissions w/o status"): withdrawn here, the decision for the chairs."""
    submission = (REAL / "submission.csv").read_bytes()
    end = b'"Small models fail in new ways.",no'  # Red-Teaming, rejected, then deleted
    assert submission.count(end) == 1
    submission = submission.replace(end, end[:-2] + b"yes")
    data = zipped(files(**{"submission.csv": submission}))
    confirmed = {"score_maps": {"overall evaluation": OVERALL}}
    report = run(ws, data, options=confirmed)
    assert report.ok, report.errors
    paper = Submission.objects.get(workshop=ws["workshop"], number=3)
    assert paper.status == SubmissionStatus.WITHDRAWN and not hasattr(paper, "decision")
    kept = SourceRecord.objects.get(workshop=ws["workshop"], kind="paper", source_id="3")
    assert kept.data["decision (deleted submission)"] == "reject"
    assert any(
        w["line"] == "submission.csv:6" and "deleted" in w["message"] for w in report.warnings
    )


def test_review_csv_without_its_header_line_and_without_total_score(ws):
    """Scripts that read EasyChair's review.csv by position (scores in the 8th column)
    meet it without a header; and the 2024 layout has no `total score` column."""
    report = Report()
    text = (REAL / "review.csv").read_text()
    header, _, body = text.partition("\n")
    at = header.split(",").index('"total score"')
    rows = list(csv.reader(io.StringIO(body)))
    for row in rows:
        del row[at]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    parsed = easychair.parse_reviews(out.getvalue().encode(), report, "review.csv")
    assert not report.errors
    assert [r.answers["Overall evaluation"] for r in parsed.reviews] == [8, 6, 3, 1]
    assert parsed.reviews[0].line == "review.csv:1"
    assert parsed.reviews[1].line == "review.csv:13"
    assert parsed.reviews[2].source["reviewer email"] == "quinn@sub.example.org"


def test_negative_scores_of_easychairs_default_form(ws):
    """EasyChair's default "Overall evaluation" runs -3..3: the proposal maps what the file
    holds, and the chair's own table wins."""
    review = (
        (REAL / "review.csv")
        .read_bytes()
        .replace(b"Overall evaluation: 8", b"Overall evaluation: 3")
        .replace(b"Overall evaluation: 6", b"Overall evaluation: 2")
        .replace(
            b"Overall evaluation: 3\nReviewer's confidence: 5",
            b"Overall evaluation: -1\nReviewer's confidence: 5",
        )
        .replace(b"Overall evaluation: 1", b"Overall evaluation: -3")
    )
    table = {"-3": 1, "-2": 1, "-1": 2, "0": 3, "1": 4, "2": 4, "3": 5}
    report = run(
        ws,
        zipped(files(**{"review.csv": review})),
        options={"score_maps": {"overall evaluation": table}},
    )
    assert report.ok, report.errors
    values = sorted(
        a
        for a in Review.objects.filter(assignment__submission__workshop=ws["workshop"])
        .filter(answers__question__is_recommendation=True)
        .values_list("answers__value", flat=True)
    )
    assert values == [1, 2, 4, 5]


def test_importing_again_changes_nothing(migrated):
    before = counts()
    again = run(migrated, zipped(files()), options={"score_maps": {"overall evaluation": OVERALL}})
    assert again.ok, again.errors
    after = counts()
    # Only the import's own entry in the activity log is new.
    assert after.pop("workshop.Activity") == before.pop("workshop.Activity") + 1
    assert after == before
    assert again.changes == []


def test_the_chair_confirms_or_corrects_the_mapping_on_the_dry_runs_page(
    client, ws, django_capture_on_commit_callbacks
):
    """The admin's flow: the dry run's page shows each score's mapping, with the proposal
    in fields the chair may correct; confirming imports with exactly what was confirmed."""
    client.force_login(ws["chair"])
    upload = io.BytesIO(zipped(files()))
    upload.name = "easychair.zip"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:transfer_transferjob_add"),
            {"workshop": ws["workshop"].pk, "format": "easychair", "file": upload, "dry_run": "on"},
        )
    job = TransferJob.objects.get(workshop=ws["workshop"])
    assert job.report["ok"], job.report["errors"]
    page = client.get(response.url).content.decode()
    assert "Scores to confirm" in page and "Overall evaluation" in page
    assert 'name="map-0-8" value="5"' in page  # the proposal: 1..8 seen, onto 1..5
    assert "as it is" in page  # the confidence, on our own scale
    form = {"map-field-0": "Overall evaluation"}
    form |= {f"map-0-{k}": str(v) for k, v in [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)]}
    form |= {f"map-0-{k}": str(v) for k, v in [(6, 3), (7, 4), (8, 4)]}
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("admin:transfer_confirm", args=[job.pk]), form)
    real = TransferJob.objects.exclude(pk=job.pk).get(workshop=ws["workshop"])
    assert confirmed.url.endswith(f"/{real.pk}/change/")
    assert real.report["ok"], real.report["errors"]
    assert real.options["score_maps"]["overall evaluation"]["8"] == 4
    review = Review.objects.get(
        assignment__submission__workshop=ws["workshop"],
        assignment__reviewer__email="kim@pc.example.org",
    )
    assert _answers(review)["Overall recommendation"] == 4  # corrected: 8 → 4, not 5
    # A correction that leaves a value without a score is refused, naming it.
    form.pop("map-0-3")
    refused = client.post(reverse("admin:transfer_confirm", args=[job.pk]), form, follow=True)
    assert "gives no score for 3" in refused.content.decode()


def test_the_import_command_prints_the_proposal_and_takes_the_confirmed_mapping(ws, tmp_path):
    archive = tmp_path / "easychair.zip"
    archive.write_bytes(zipped(files()))
    slug = ws["workshop"].slug
    out = io.StringIO()
    call_command("transfer_import", "easychair", archive, workshop=slug, dry_run=True, stdout=out)
    assert "scores Overall evaluation → Overall recommendation: 1→1" in out.getvalue()
    assert "(proposed: confirm with --score-maps)" in out.getvalue()
    assert "scores Reviewer's confidence → Confidence: as it is" in out.getvalue()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("transfer_import", "easychair", archive, workshop=slug, stdout=io.StringIO())
    maps = tmp_path / "maps.json"
    maps.write_text(json.dumps({"Overall evaluation": OVERALL}))
    call_command(
        "transfer_import", "easychair", archive, workshop=slug, score_maps=maps,
        stdout=io.StringIO(),
    )  # fmt: skip
    review = Review.objects.get(
        assignment__submission__workshop=ws["workshop"],
        assignment__reviewer__email="kim@pc.example.org",
    )
    assert _answers(review)["Overall recommendation"] == 4


def test_what_follows_the_confidential_remarks_never_reaches_the_authors():
    """A line in the remarks for the committee that looks like a title ("(SUMMARY)") does
    not start a field the authors read; a short bracketed line ("(A)") is no title."""
    text = (
        "(SUMMARY)\nGood.\n(A)\nStill the summary.\n\n"
        "(CONFIDENTIAL REMARKS FOR THE PROGRAMME COMMITTEE)\nI reviewed it before.\n"
        "(SUMMARY)\nThe authors are my students.\n"
        "(CONFIDENTIAL COMMENT TO THE CHAIRS)\nFor the chairs."
    )
    assert easychair.review_sections(text) == [
        ("Summary", "Good.\n(A)\nStill the summary."),
        (
            "Confidential remarks for the programme committee",
            "I reviewed it before.\n(SUMMARY)\nThe authors are my students.",
        ),
        ("Confidential comment to the chairs", "For the chairs."),
    ]
