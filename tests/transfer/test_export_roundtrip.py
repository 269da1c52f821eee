"""A workshop leaves as easily as it came: exported to OpenReview's notes or EasyChair's
CSV files and imported into a new workshop, it has the same papers, authors, committee,
reviews (scores and text) and decisions (and, where the format carries them, topics and
bids); importing the same export again changes nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.services import token_create
from reviews.models import (
    Answer,
    Bid,
    Decision,
    MetaRecommendation,
    MetaReview,
    Review,
    ReviewQuestion,
)
from reviews.services.reviewing import default_form_create
from submissions.models import Authorship, Submission
from tests.factories import TopicFactory, WorkshopFactory, make_chair
from transfer.exporters import EXPORTS
from transfer.importers import run_import
from transfer.models import JobStatus, SourceRecord, TransferJob
from transfer.writers.easychair import REVIEW_HEADER
from workshop.models import Membership, Role

pytestmark = pytest.mark.django_db
REAL = Path(__file__).resolve().parent.parent / "data" / "transfer" / "real" / "easychair"
OVERALL = {str(v): (v + 1) // 2 for v in range(1, 11)}


def _zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(REAL.glob("*.csv")):
            archive.writestr(path.name, path.read_bytes())
    return buffer.getvalue()


@pytest.fixture
def source():
    """A decided workshop: EasyChair's real-layout files imported (papers of every state,
    a committee with area chairs, reviews with committee-only text, topics and bids), and
    a meta-review written here."""
    workshop = WorkshopFactory(slug="leaving")
    for name in ("Efficiency", "Evaluation", "Safety"):
        TopicFactory(workshop=workshop, name=name)
    chair = make_chair(workshop)
    default_form_create(workshop)
    report = run_import(
        workshop=workshop, actor=chair, fmt="easychair", data=_zipped(),
        options={"score_maps": {"overall evaluation": OVERALL}},
    )  # fmt: skip
    assert report.ok, report.errors
    # A title a spreadsheet would take for a formula: our CSVs neutralise it, and read back
    # it is as it was.
    Submission.objects.filter(workshop=workshop, number=4).update(title="-1-bit Benchmarks")
    paper = Submission.objects.get(workshop=workshop, number=1)
    # A chairs-only answer next to the committee's remarks: two confidential fields.
    Answer.objects.create(
        review=Review.objects.get(
            assignment__submission=paper, assignment__reviewer__email="kim@pc.example.org"
        ),
        question=ReviewQuestion.objects.get(
            workshop=workshop, label="Confidential comment to the chairs"
        ),
        value="Only for the chairs.",
    )
    area_chair = Membership.objects.filter(workshop=workshop, role=Role.AREA_CHAIR).first().user
    MetaReview.objects.create(
        submission=paper, author=area_chair, recommendation=MetaRecommendation.values[0],
        text="Accept: clear gains.",
    )  # fmt: skip
    return workshop


def _target(slug: str):
    workshop = WorkshopFactory(slug=slug)
    chair = make_chair(workshop)
    default_form_create(workshop)
    return workshop, chair


def summary(workshop, *, affiliations: bool = True) -> dict:
    """What a migration must carry, by natural keys (numbers, e-mails, labels)."""
    papers = {
        s.number: (
            s.title,
            s.status,
            s.abstract,
            [
                (a.name, a.email.lower()) + ((a.affiliation, a.is_contact) if affiliations else ())
                for a in s.authors.order_by("position")
            ],
        )
        for s in Submission.objects.filter(workshop=workshop).prefetch_related("authors")
    }
    reviews = {
        (r.assignment.submission.number, r.assignment.reviewer.email): (
            r.status,
            {
                a.question.label: (a.value, a.question.visibility)
                for a in r.answers.select_related("question")
            },
        )
        for r in Review.objects.filter(assignment__submission__workshop=workshop).select_related(
            "assignment__submission", "assignment__reviewer"
        )
    }
    return {
        "papers": papers,
        "reviews": reviews,
        "committee": set(
            Membership.objects.filter(workshop=workshop)
            .exclude(role=Role.CHAIR)
            .values_list("user__email", "role")
        ),
        "decisions": set(
            Decision.objects.filter(submission__workshop=workshop).values_list(
                "submission__number", "category__name", "category__outcome"
            )
        ),
    }


def test_openreview_notes_import_back_as_they_were(source):
    data = EXPORTS["openreview"][1](workshop=source)
    items = json.loads(data)
    groups = [i for i in items if "members" in i]
    notes = [i for i in items if "content" in i]
    assert {g["id"].rsplit("/", 1)[-1] for g in groups} == {
        "Reviewers",
        "Area_Chairs",
        "Program_Chairs",
    }
    # Note.to_json's shape: every content field wrapped as {"value": …}; reviews signed by
    # the paper's anonymous groups; the reviewer's address only for the programme chairs.
    assert all(isinstance(v, dict) and "value" in v for n in notes for v in n["content"].values())
    reviews = [n for n in notes if n["invitations"][0].endswith("/-/Official_Review")]
    assert len(reviews) == 4
    for review in reviews:
        assert "/Reviewer_" in review["signatures"][0]
        assert review["content"]["reviewer_email"]["readers"] == [
            review["domain"] + "/Program_Chairs"
        ]
    kinds = {n["invitations"][0].rsplit("/", 1)[-1] for n in notes}
    assert kinds == {"Submission", "Official_Review", "Meta_Review", "Decision"}

    workshop, chair = _target("from-openreview-export")
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data)
    assert report.ok, report.errors[:3]
    before = summary(source, affiliations=False)
    after = summary(workshop, affiliations=False)
    for key in before:
        assert after[key] == before[key], key
    again = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data)
    assert again.ok and again.changes == [], again.changes[:3]


def test_easychair_files_import_back_as_they_were(source):
    data = EXPORTS["easychair"][1](workshop=source)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        review = archive.read("review.csv").decode()
        submissions = archive.read("submission.csv").decode()
    assert names == {
        "submission.csv", "author.csv", "committee.csv", "committee_topic.csv", "topics.csv",
        "submission_topic.csv", "bidding.csv", "review.csv", "metareview.csv",
    }  # fmt: skip
    assert review.splitlines()[0] == ",".join(REVIEW_HEADER)
    assert "Overall recommendation: 4\nConfidence: 4" in review
    assert "(CONFIDENTIAL REMARKS FOR THE PROGRAMME COMMITTEE)" in review
    assert ",'-1-bit Benchmarks," in submissions

    workshop, chair = _target("from-easychair-export")
    report = run_import(workshop=workshop, actor=chair, fmt="easychair", data=data)
    assert report.ok, report.errors[:3]
    # The scores are on the form's own scale: taken as they are, nothing to confirm.
    assert all(m["identity"] for m in report.mappings)
    before, after = summary(source), summary(workshop)
    for key in before:
        assert after[key] == before[key], key
    topics = {
        s.number: (s.primary_topic.name if s.primary_topic else None)
        for s in Submission.objects.filter(workshop__in=[source, workshop]).select_related(
            "primary_topic"
        )
    }
    assert topics[2] == "Tokenization and Scripts"
    bids = [
        set(
            Bid.objects.filter(submission__workshop=w).values_list(
                "user__email", "submission__number", "value"
            )
        )
        for w in (source, workshop)
    ]
    assert bids[0] == bids[1] and len(bids[0]) == 6
    # The meta-review: kept for the chairs with its paper (EasyChair's own is no review).
    kept = SourceRecord.objects.get(workshop=workshop, kind="meta_review")
    assert kept.data["text"] == "Accept: clear gains." and kept.data["recommendation"] == "accept"
    assert kept.target.number == 1
    again = run_import(workshop=workshop, actor=chair, fmt="easychair", data=data)
    assert again.ok and again.changes == [], again.changes[:3]


@pytest.mark.parametrize("fmt", ["openreview", "easychair"])
def test_transfer_export_command_writes_each_format(source, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    call_command("transfer_export", workshop=source.slug, output=out, format=fmt)
    assert out.read_bytes() == EXPORTS[fmt][1](workshop=source)


def _chair_key(workshop) -> str:
    chair = Membership.objects.filter(workshop=workshop, role=Role.CHAIR).order_by("pk")[0].user
    return token_create(user=chair, name="leaving", workshops=[workshop])[1]


def _outcomes(workshop) -> set:
    return set(
        Decision.objects.filter(submission__workshop=workshop).values_list(
            "submission__number", "category__outcome"
        )
    )


def test_our_submissions_csv_imports_back(source, client):
    key = {"HTTP_AUTHORIZATION": f"Bearer {_chair_key(source)}"}
    response = client.get(reverse("api:export", args=[source.slug]), **key)
    assert response.status_code == 200
    workshop, chair = _target("from-our-csv")
    report = run_import(
        workshop=workshop, actor=chair, fmt="own-submissions-csv", data=response.content
    )
    assert report.ok, report.errors[:3]
    before, after = summary(source), summary(workshop)
    # The CSV has no abstract and no contact flags: the rest of each paper comes back.
    strip = {
        n: (t, s, [a[:3] for a in authors]) for n, (t, s, _, authors) in before["papers"].items()
    }
    assert {
        n: (t, s, [a[:3] for a in authors]) for n, (t, s, _, authors) in after["papers"].items()
    } == strip
    assert _outcomes(workshop) == _outcomes(source)
    topics = [
        {
            s.number: (
                s.primary_topic.name if s.primary_topic else "",
                {t.name for t in s.secondary_topics.all()},
            )
            for s in Submission.objects.filter(workshop=w).prefetch_related("secondary_topics")
        }
        for w in (source, workshop)
    ]
    assert topics[0] == topics[1]


def test_our_api_json_imports_back(source, client):
    key = {"HTTP_AUTHORIZATION": f"Bearer {_chair_key(source)}"}
    papers = client.get(
        reverse("api:submissions"), {"workshop": source.slug, "page_size": 200}, **key
    )
    reviews = client.get(reverse("api:reviews", args=[source.slug]), {"page_size": 200}, **key)
    assert papers.status_code == reviews.status_code == 200
    data = json.dumps([papers.json(), reviews.json()]).encode()
    workshop, chair = _target("from-our-api")
    committee = run_import(
        workshop=workshop, actor=chair, fmt="easychair-committee",
        data=(REAL / "committee.csv").read_bytes(),
    )  # fmt: skip
    assert committee.ok, committee.errors
    report = run_import(workshop=workshop, actor=chair, fmt="own-api-json", data=data)
    assert report.ok, report.errors[:3]
    before, after = summary(source), summary(workshop)
    assert after["papers"] == before["papers"]
    # The API names each answer's question, not who reads it: a question the new workshop
    # lacks is made for the chairs alone (never wider than it was), the values all back.
    assert after["reviews"].keys() == before["reviews"].keys()
    for key, (status, answers) in before["reviews"].items():
        assert after["reviews"][key][0] == status
        got = after["reviews"][key][1]
        assert {k: v for k, (v, _) in got.items()} == {k: v for k, (v, _) in answers.items()}
        for label, (_, seen) in got.items():
            assert seen in (answers[label][1], "chairs"), label
    assert _outcomes(workshop) == _outcomes(source)


@pytest.mark.parametrize(
    ("fmt", "label", "filename"),
    [
        ("openreview", "Download the OpenReview notes", "leaving-openreview.json"),
        ("easychair", "Download the EasyChair files", "leaving-easychair.zip"),
    ],
)
def test_the_admins_export_page_offers_and_downloads_each_format(
    source, client, django_capture_on_commit_callbacks, fmt, label, filename
):
    chair = Membership.objects.filter(workshop=source, role=Role.CHAIR).order_by("pk")[0].user
    client.force_login(chair)
    page = client.get(reverse("admin:transfer_export")).content.decode()
    assert f'value="{fmt}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:transfer_export"), {"workshop": source.pk, "format": fmt}
        )
    job = TransferJob.objects.get(workshop=source, kind="export", format=fmt)
    assert job.status == JobStatus.DONE, job.report
    assert label in client.get(response.url).content.decode()
    download = client.get(reverse("admin:transfer_download", args=[job.pk]))
    assert filename in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == EXPORTS[fmt][1](workshop=source)


@pytest.mark.parametrize("fmt", ["openreview", "easychair"])
def test_an_exports_queries_do_not_grow_with_its_papers(source, fmt):
    """The same number of queries for 6 papers and for 16 (authors, topics, reviews and
    their answers are read in bulk)."""
    chair = Membership.objects.filter(workshop=source, role=Role.CHAIR).order_by("pk")[0].user
    export = EXPORTS[fmt][1]
    with CaptureQueriesContext(connection) as small:
        export(workshop=source)
    papers = Submission.objects.filter(workshop=source)
    topic = source.topics.first()
    for number in range(11, 21):
        paper = Submission.objects.create(
            workshop=source, number=number, title=f"Extra {number}", abstract="More.",
            created_by=chair, status="submitted", primary_topic=topic,
        )  # fmt: skip
        Authorship.objects.create(
            submission=paper, position=1, name=f"Author {number}",
            email=f"a{number}@uni.example.edu", is_contact=True,
        )  # fmt: skip
    assert papers.count() == 16
    with CaptureQueriesContext(connection) as large:
        export(workshop=source)
    assert len(large) == len(small), [q["sql"][:80] for q in large]
