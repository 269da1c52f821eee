"""An import in bulk (issue 23, item 8): the queries of a whole migration (committee, papers
with authors and conflicts, decisions, reviews) do not grow with its papers, and the bulk
writers write exactly the rows and activity entries of the one-row actions they stand for.

The input is the benchmark's own (bench/transfer.py: a HotCRP zip with the PC list, the
papers, the reviews and HotCRP's settings JSON), at 10 and 50 papers."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.transfer import TOPICS, hotcrp_zip
from reviews.models import (
    Answer,
    Assignment,
    ConflictOverride,
    Decision,
    PaperScore,
    Review,
    ReviewVersion,
)
from reviews.services.assignment import assignment_add
from reviews.services.committee import conflict_override_set
from reviews.services.decisions import category_for, decision_record
from reviews.services.imports import (
    ReviewImport,
    assignments_import_write_many,
    conflict_overrides_import_write_many,
    decisions_import_write_many,
    review_import_write_many,
)
from reviews.services.reviewing import default_form_create, review_import_write
from submissions.models import Authorship, Submission, SubmissionStatus
from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from transfer.importers import run_import
from transfer.models import SourceRecord
from workshop.models import Activity, Role

pytestmark = pytest.mark.django_db


def world():
    workshop = WorkshopFactory()
    for name in TOPICS:
        TopicFactory(workshop=workshop, name=name)
    default_form_create(workshop)
    return workshop, make_chair(workshop)


def queries(workshop, chair, data: bytes, *, dry_run: bool = False) -> int:
    with CaptureQueriesContext(connection) as seen:
        report = run_import(
            workshop=workshop, actor=chair, fmt="hotcrp-papers", data=data, dry_run=dry_run
        )
    assert report.ok, report.errors[:3]
    return len(seen)


def test_the_queries_of_a_migration_do_not_grow_with_its_papers():
    """Row by row it was some 340 queries a paper (17,000 for 50 papers and their 150
    reviews); now the same count for 10 papers as for 50, in each stage: the dry run, the
    import, and the same file again (which changes nothing)."""
    # Process-wide caches (content types and such) are filled by a first import.
    warm, chair = world()
    queries(warm, chair, hotcrp_zip(3, members=12, site="warm.example.org"))
    counts = {}
    for papers in (10, 50):
        workshop, chair = world()
        data = hotcrp_zip(papers, members=30, site=f"site{papers}.example.org")
        counts[papers] = [
            queries(workshop, chair, data, dry_run=True),
            queries(workshop, chair, data),
            queries(workshop, chair, data),
        ]
        assert workshop.submissions.count() == papers
        assert Review.objects.filter(assignment__submission__workshop=workshop).count() == (
            3 * papers
        )
    assert counts[10] == counts[50], counts
    assert max(counts[50]) < 250, counts


def test_a_migration_writes_every_row_and_entry_it_reports():
    workshop, chair = world()
    data = hotcrp_zip(12, members=30)
    dry = run_import(workshop=workshop, actor=chair, fmt="hotcrp-papers", data=data, dry_run=True)
    assert not workshop.submissions.exists() and not SourceRecord.objects.exists()
    report = run_import(workshop=workshop, actor=chair, fmt="hotcrp-papers", data=data)
    assert report.ok and report.counts() == dry.counts()
    counts = report.counts()
    assert counts["paper.create"] == 12 and counts["review.submit"] == 36
    entries = Activity.objects.filter(workshop=workshop)
    for action in ("assignment.add", "conflict.set", "decision.record"):
        assert entries.filter(action=action).count() == counts[action], action
    assert entries.filter(action="review.import").count() == counts["review.submit"]
    assert Authorship.objects.filter(submission__workshop=workshop).count() == 36
    assert ConflictOverride.objects.filter(submission__workshop=workshop).count() == 24
    assert Decision.objects.filter(submission__workshop=workshop).count() == 4
    assert workshop.submissions.filter(status=SubmissionStatus.SUBMITTED).count() == 8
    assert SourceRecord.objects.filter(workshop=workshop, kind="paper").count() == 12
    assert SourceRecord.objects.filter(workshop=workshop, kind="review").count() == 36
    letters = sorted(
        Assignment.objects.filter(submission__number=1).values_list("pseudonym", flat=True)
    )
    assert letters == ["A", "B", "C"]
    scores = PaperScore.objects.get(submission__workshop=workshop, submission__number=1)
    assert scores.assigned == 3 and scores.done == 3 and scores.count == 3
    assert all(
        s.registered_at is not None and s.secondary_topics.count() == s.number % 2
        for s in workshop.submissions.all()
    )


def _entry(entry: Activity, paper: Submission) -> tuple:
    """An activity entry with its paper's number written as #N, to compare two papers'."""
    summary = entry.summary.replace(f"#{paper.number}", "#N")
    return (entry.action, entry.actor_id, entry.target_type_id, summary, entry.before,
            entry.after, entry.reason, entry.authors_see, entry.workshop_id,
            entry.submission_id == paper.pk)  # fmt: skip


def test_the_bulk_writers_write_what_the_one_row_actions_write():
    """Two papers, the same changes: one through `assignment_add`, `review_import_write`,
    `conflict_override_set` and `decision_record`, the other through their bulk twins."""
    workshop, chair = world()
    topic = workshop.topics.first()
    papers = [
        Submission.objects.create(
            workshop=workshop,
            number=n,
            title=f"Paper {n}",
            abstract="A.",
            created_by=chair,
            status=SubmissionStatus.SUBMITTED,
            primary_topic=topic,
        )
        for n in (1, 2)
    ]
    reviewer = UserFactory(email="rev@pc.example.org")
    other = UserFactory(email="other@pc.example.org")
    for person in (reviewer, other):
        MembershipFactory(workshop=workshop, user=person, role=Role.REVIEWER)
    questions = {q.label: q.pk for q in workshop.review_questions.all()}
    answers = {questions["Summary"]: "Fine.", questions["Overall recommendation"]: 4,
               questions["Confidence"]: 3}  # fmt: skip
    when = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    category = category_for(workshop, "accept")
    reason = "Imported (hotcrp-papers): collaborator"
    one, bulk = papers

    start = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assignment, _ = assignment_add(submission=one, reviewer=reviewer, chair=chair, notify=False)
    review_import_write(
        assignment=assignment, chair=chair, answers=answers, submitted=True, submitted_at=when
    )
    conflict_override_set(submission=one, user=other, conflicted=True, reason=reason, chair=chair)
    decision_record(submission=one, category=category, chair=chair)
    middle = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    bulk.workshop = workshop
    [made] = assignments_import_write_many(
        workshop=workshop, chair=chair, pairs=[(bulk, reviewer, Role.REVIEWER)]
    )
    review_import_write_many(
        workshop=workshop, chair=chair,
        items=[ReviewImport(assignment=made, answers=answers, submitted=True, submitted_at=when)],
    )  # fmt: skip
    conflict_overrides_import_write_many(
        workshop=workshop, chair=chair, items=[(bulk, other, True, reason)]
    )
    decisions_import_write_many(workshop=workshop, chair=chair, items=[(bulk, category)])

    first = Activity.objects.filter(pk__gt=start, pk__lte=middle).order_by("pk")
    second = Activity.objects.filter(pk__gt=middle).order_by("action", "pk")
    assert sorted(_entry(e, one) for e in first) == sorted(_entry(e, bulk) for e in second)

    def rows(paper: Submission) -> dict:
        paper.refresh_from_db()
        assignment = Assignment.objects.get(submission=paper)
        review = Review.objects.get(assignment=assignment)
        version = ReviewVersion.objects.get(review=review)
        score = PaperScore.objects.get(submission=paper)
        override = ConflictOverride.objects.get(submission=paper)
        decision = Decision.objects.get(submission=paper)
        return {
            "status": paper.status,
            "assignment": (assignment.reviewer_id, assignment.role, assignment.pseudonym,
                           assignment.locked, assignment.created_by_id),
            "review": (review.status, review.version, review.revision, review.submitted_at),
            "answers": sorted(
                Answer.objects.filter(review=review).values_list("question_id", "value")
            ),
            "version": (version.number, version.answers, version.submitted_at),
            "score": [getattr(score, f) for f in ("assigned", "done", "count", "mean", "low")],
            "override": (override.user_id, override.conflicted, override.reason,
                         override.set_by_id),
            "decision": (decision.category_id, decision.decided_by_id, decision.version),
        }  # fmt: skip

    assert rows(one) == rows(bulk)


def test_a_decision_on_a_withdrawn_paper_is_refused_by_its_line():
    workshop, chair = world()
    papers = [
        {"pid": n, "title": f"Paper {n}", "abstract": "A.", "topics": [TOPICS[0]],
         "authors": [{"email": f"a{n}@uni.example.edu", "given_name": "A", "family_name": "B"}],
         "submitted": True, "decision": "Accepted", "withdrawn": n == 2}
        for n in (1, 2)
    ]  # fmt: skip
    data = json.dumps(papers).encode()
    report = run_import(workshop=workshop, actor=chair, fmt="hotcrp-papers", data=data)
    assert report.errors == [{"line": "record 2", "message": "#2 is withdrawn."}]
    assert not workshop.submissions.exists() and not Decision.objects.exists()


def _split_committee(data: bytes) -> tuple[bytes, bytes]:
    """The zip without its PC list, and the PC list alone."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as papers:
        for name in source.namelist():
            if name != "pc.csv":
                papers.writestr(name, source.read(name))
    return out.getvalue(), source.read("pc.csv")


def test_papers_before_their_committee_cost_no_query_per_paper():
    """Reviews by people not in the committee yet are kept for the chairs, the papers'
    conflicts wait in their source records; the PC list then sets the waiting conflicts.
    Both steps ask as many queries for 10 papers as for 50."""
    counts = {}
    for papers in (3, 10, 50):  # the first fills process-wide caches
        workshop, chair = world()
        without, committee = _split_committee(
            hotcrp_zip(papers, members=30, site=f"late{papers}.example.org")
        )
        with CaptureQueriesContext(connection) as first:
            report = run_import(workshop=workshop, actor=chair, fmt="hotcrp-papers", data=without)
        assert report.ok, report.errors[:3]
        assert SourceRecord.objects.filter(workshop=workshop, kind="review").count() == 3 * papers
        with CaptureQueriesContext(connection) as second:
            report = run_import(workshop=workshop, actor=chair, fmt="hotcrp-pc", data=committee)
        assert report.ok and report.counts()["conflict.set"] == 2 * papers, report.counts()
        assert ConflictOverride.objects.filter(submission__workshop=workshop).count() == 2 * papers
        counts[papers] = [len(first), len(second)]
    # Not one more for 50 papers (with 10, a few reviewers' addresses are first seen in
    # the reviews, not among the conflicts: two more queries read their accounts).
    assert all(big <= small for big, small in zip(counts[50], counts[10], strict=True)), counts
    assert counts[10][0] - counts[50][0] <= 2 and counts[10][1] == counts[50][1], counts
