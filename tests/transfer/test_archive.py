"""The full-workshop archive: export, wipe, import, and every row and file is back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from reviews.models import (
    AffinityScore,
    Answer,
    AuthorResponse,
    Bid,
    Comment,
    Decision,
    MatchingRun,
    MetaReview,
    Publication,
    PublicComment,
    Review,
    ReviewVersion,
)
from reviews.models.reviewing import PaperVisit
from submissions.models import FileKind, ProceedingsBundle, Submission, SubmissionFile
from tests.policy_spec import build_world
from transfer.archive import (
    NOT_ARCHIVED,
    SPEC,
    _models,
    archive_export,
    archive_restore,
    archive_rows,
    files_of,
)
from transfer.models import SourceRecord
from transfer.report import Report
from workshop.activity import activity_record
from workshop.models import Activity, MailStatus, OutgoingMail, User, Workshop
from workshop.policy import SYSTEM
from workshop.relations import WORKSHOP, relation_path

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% ZQARCHIVEPDF\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _enrich(world) -> None:
    """Files, answers, versions, comments (threaded), a meta-review, a decision, a
    response, bids, a mail and log entries on top of the matrix world."""
    users = {k: User.objects.get(pk=v) for k, v in world.users.items() if v}
    p, q = world.p, world.q
    for n, paper in enumerate((p, q), start=1):
        stored = SubmissionFile(
            submission=paper,
            kind=FileKind.PAPER,
            sha256="x" * 64,
            size=len(PDF) + n,
            uploaded_by=users["author-P"],
        )
        stored.file.save("upload", ContentFile(PDF + bytes([n])), save=False)
        stored.save()
        Submission.objects.filter(pk=paper.pk).update(paper=stored)
    r1 = Review.objects.get(pk=world.reviews["R1-rev"])
    for question in world.questions:
        value = 4 if question.kind == "score" else "ZQARCHIVETEXT solid work"
        if question.kind == "choice":
            value = question.choices[0] if question.choices else None
        Answer.objects.create(review=r1, question=question, value=value)
    ReviewVersion.objects.create(review=r1, number=1, answers={str(world.questions[0].pk): 4})
    top = Comment.objects.create(
        submission=p,
        author=users["R1-submitted"],
        signature="Reviewer A",
        body="ZQARCHIVECOMMENT top",
    )
    Comment.objects.create(
        submission=p, author=users["chair-A"], signature="Chair", body="a reply", parent=top
    )
    MetaReview.objects.create(
        submission=p, author=users["AC-of-P"], recommendation="accept", text="Meta"
    )
    Decision.objects.create(submission=p, category=world.accept, decided_by=users["chair-A"])
    AuthorResponse.objects.create(submission=p, author=users["author-P"], text="Thanks")
    Bid.objects.create(submission=q, user=users["R1-submitted"], value="eager")
    decision = Decision.objects.get(submission=p)
    activity_record(
        actor=users["chair-A"], action="decision.record", target=decision, summary="#1: Accept"
    )
    activity_record(actor=SYSTEM, action="reminders.send", target=world.a, summary="sent")
    # The kinds an archive once lacked: imported affinities, a reviewer's publications, a
    # matching run (its JSON names papers and people), a public comment, a paper visit, a
    # proceedings bundle and an imported record (it may point at any row).
    reviewer = users["R1-submitted"]
    AffinityScore.objects.create(
        workshop=world.a, submission=p, user=reviewer, source="openreview", score=0.75
    )
    Publication.objects.create(user=reviewer, title="ZQARCHIVEPUB", year=2024, authors=["R. One"])
    MatchingRun.objects.create(
        workshop=world.a,
        created_by=users["chair-A"],
        status="done",
        baseline=[[p.pk, reviewer.pk]],
        result={"pairs": [[q.pk, reviewer.pk, 0.5]], "total": 0.5},
    )
    PublicComment.objects.create(
        submission=p, author=users["author-P"], signature="A reader", body="ZQARCHIVEPUBLIC"
    )
    PaperVisit.objects.create(user=reviewer, submission=p, seen_at=timezone.now())
    bundle = ProceedingsBundle(workshop=world.a, requested_by=users["chair-A"], papers=1)
    bundle.file.save("bundle.zip", ContentFile(b"PK ZQARCHIVEBUNDLE"), save=False)
    bundle.save()
    SourceRecord.objects.create(
        workshop=world.a,
        system="hotcrp",
        kind="paper",
        source_id="7",
        content_type=ContentType.objects.get_for_model(Submission),
        object_id=q.pk,
        data={"tags": ["zq-archive"]},
    )
    OutgoingMail.objects.create(
        workshop=world.a,
        recipient=users["author-P"],
        key="zq-arch-1",
        kind="decision",
        subject="Your paper",
        to="a@x.org",
        body_text="Dear author",
        submission_id=p.pk,
        target=decision,
        # Delivered: restores as it was (undelivered mail restores cancelled, as history:
        # tests/transfer/test_restore_safety.py).
        status=MailStatus.SENT,
        sent_at=decision.decided_at,
    )


def wipe(workshop: Workshop) -> None:
    """Delete every row of the workshop, children first (some references protect)."""
    Submission.objects.filter(workshop=workshop).update(
        paper=None, supplementary=None, camera_ready=None
    )
    for _, model, path in reversed(_models()):
        model.objects.filter(**{path: workshop.pk}).delete()


@pytest.fixture(scope="module")
def round_trip(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        _enrich(world)
        workshop = Workshop.objects.get(pk=world.a.pk)
        before = archive_rows(workshop)
        data = archive_export(workshop=workshop)
        emails = [row["email"] for row in before["workshop.User"]]
        wipe(workshop)
        User.objects.filter(email__in=emails).delete()
        assert not Submission.objects.filter(title__isnull=False, workshop__slug="mx-alpha")
        report = Report()
        restored = archive_restore(actor=SYSTEM, data=data, report=report)
        assert report.ok, report.errors
        after = archive_rows(restored)
        exported_again = archive_export(workshop=restored)
        stored = sorted(
            f.file.read() for f in SubmissionFile.objects.filter(submission__workshop=restored)
        )
        yield {
            "before": before,
            "after": after,
            "data": data,
            "again": exported_again,
            "restored": restored,
            "world": world,
            "stored": stored,
        }
        transaction.set_rollback(True)


def test_the_export_holds_every_kind_of_row(round_trip):
    before = round_trip["before"]
    for label in (
        "workshop.User",
        "workshop.Topic",
        "submissions.Submission",
        "submissions.SubmissionFile",
        "submissions.Authorship",
        "reviews.Review",
        "reviews.Answer",
        "reviews.Comment",
        "reviews.MetaReview",
        "reviews.Decision",
        "reviews.AuthorResponse",
        "workshop.OutgoingMail",
        "workshop.Activity",
        "reviews.ConflictOverride",
        "reviews.Bid",
        "reviews.ReviewVersion",
        "reviews.AffinityScore",
        "reviews.Publication",
        "reviews.MatchingRun",
        "reviews.PublicComment",
        "reviews.PaperVisit",
        "submissions.ProceedingsBundle",
        "transfer.SourceRecord",
    ):
        assert before[label], label
    assert "password" not in before["workshop.User"][0]
    assert any("ZQARCHIVECOMMENT" in c["body"] for c in before["reviews.Comment"])


def test_every_row_comes_back_equal(round_trip):
    before, after = round_trip["before"], round_trip["after"]
    assert set(before) == set(after)
    for label in before:
        assert after[label] == before[label], label


def test_rows_compare_by_natural_keys_too(round_trip):
    """Independent of the ordinals: papers by number, authors by e-mail, answers by label."""
    restored = round_trip["restored"]
    world = round_trip["world"]
    papers = {
        s.number: (s.title, s.status, [a.email for a in s.authors.all()])
        for s in Submission.objects.filter(workshop=restored)
    }
    assert papers[1][0] == world.p.title
    assert len(papers[1][2]) == 2 and papers[1][1] == "submitted"
    answers = {
        (a.question.label, a.review.assignment.reviewer.email): a.value
        for a in Answer.objects.filter(question__workshop=restored)
    }
    assert any(v == "ZQARCHIVETEXT solid work" for v in answers.values())
    comment = Comment.objects.get(submission__workshop=restored, parent__isnull=False)
    assert comment.parent.body == "ZQARCHIVECOMMENT top"
    mail = OutgoingMail.objects.get(workshop=restored)
    assert mail.target == Decision.objects.get(submission__workshop=restored)
    assert mail.submission_id == Submission.objects.get(workshop=restored, number=1).pk
    version = ReviewVersion.objects.get(review__assignment__submission__workshop=restored)
    question_ids = {str(q.pk) for q in restored.review_questions.all()}
    assert set(version.answers) <= question_ids
    assert not any(
        u.has_usable_password() for u in User.objects.filter(memberships__workshop=restored)
    )
    assert Activity.objects.filter(workshop=restored, action="transfer.restore").count() == 1


def test_every_file_comes_back_byte_for_byte(round_trip):
    original = dict(files_of(round_trip["data"]))
    again = dict(files_of(round_trip["again"]))
    assert original and original == again
    contents = round_trip["stored"]
    assert contents == sorted(
        v for k, v in original.items() if k.startswith("files/submissions.SubmissionFile/")
    )
    # The restored bundle's file, exported again from the restored workshop.
    bundles = [v for k, v in again.items() if k.startswith("files/submissions.ProceedingsBundle/")]
    assert bundles == [b"PK ZQARCHIVEBUNDLE"]
    assert all(b"ZQARCHIVEPDF" in c for c in contents)


def test_the_manifest_lists_every_file_with_its_sha256(round_trip):
    with zipfile.ZipFile(io.BytesIO(round_trip["data"])) as archive:
        manifest = archive.read("MANIFEST.sha256").decode().splitlines()
        for line in manifest:
            digest, name = line.split("  ")
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        assert {line.split("  ")[1] for line in manifest} == set(archive.namelist()) - {
            "MANIFEST.sha256",
            "MANIFEST.sig",
        }


def test_a_tampered_archive_is_refused_and_changes_nothing(round_trip):
    source = zipfile.ZipFile(io.BytesIO(round_trip["data"]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "workshop.json":
                content = content.replace(b"ZQARCHIVECOMMENT", b"ZQTAMPEREDXXXXXX")
            out.writestr(info.filename, content)
    counts = Submission.objects.count(), User.objects.count()
    report = Report()
    assert (
        archive_restore(actor=SYSTEM, data=buffer.getvalue(), report=report, slug="other") is None
    )
    assert "MANIFEST.sha256:1" in [e["line"] for e in report.errors]
    assert "checksum" in report.errors[0]["message"]
    assert (Submission.objects.count(), User.objects.count()) == counts


def test_a_dry_run_restore_keeps_no_row_and_no_file(round_trip, settings):
    wipe(round_trip["restored"])  # its mail keys would clash with the copy's
    media = Path(settings.MEDIA_ROOT)
    files_before = sorted(p for p in media.rglob("*") if p.is_file())
    counts = Workshop.objects.count(), Submission.objects.count(), User.objects.count()
    report = Report(dry_run=True)
    result = archive_restore(
        actor=SYSTEM, data=round_trip["data"], report=report, slug="dry-copy", dry_run=True
    )
    assert result is None and report.ok and report.changes
    assert (Workshop.objects.count(), Submission.objects.count(), User.objects.count()) == counts
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files_before


def test_a_file_over_the_workshops_upload_limit_is_refused(round_trip):
    source = zipfile.ZipFile(io.BytesIO(round_trip["data"]))
    document = json.loads(source.read("workshop.json"))
    document["models"]["workshop.Workshop"][0]["upload_limit_mb"] = 0
    entries = {n: source.read(n) for n in source.namelist() if n != "MANIFEST.sha256"}
    big = next(n for n in entries if n.endswith("-file"))
    entries[big] = entries[big] + os.urandom(1024 * 1024)
    document["models"]["workshop.Workshop"][0]["upload_limit_mb"] = 1
    entries["workshop.json"] = json.dumps(document).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in entries.items():
            out.writestr(name, content)
        out.writestr(
            "MANIFEST.sha256",
            "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in entries.items()),
        )
    report = Report()
    restored = archive_restore(
        actor=SYSTEM, data=buffer.getvalue(), report=report, slug="big", allow_unsigned=True
    )
    assert restored is None
    assert report.errors == [
        {"line": big, "message": f"{len(entries[big]):,} bytes, over the workshop's upload limit."}
    ]
    assert not Workshop.objects.filter(slug="big").exists()


def test_every_model_with_a_workshop_is_archived_or_says_why_not():
    """A new model that belongs to a workshop fails here until the archive carries it (or
    NOT_ARCHIVED says why it must not)."""
    archived = {label for label, _ in SPEC}
    missing = [
        model._meta.label
        for model in apps.get_models()
        if not model._meta.proxy
        and relation_path(model, WORKSHOP) is not None
        and model._meta.label not in archived
        and model._meta.label not in NOT_ARCHIVED
    ]
    assert missing == []


def test_ids_inside_json_and_imported_records_point_at_the_restored_rows(round_trip):
    restored = round_trip["restored"]
    run = MatchingRun.objects.get(workshop=restored)
    papers = dict(Submission.objects.filter(workshop=restored).values_list("pk", "number"))
    ((paper, person, score),) = run.result["pairs"]
    assert papers[paper] == 2 and score == 0.5
    assert User.objects.get(pk=person).email == User.objects.get(pk=run.baseline[0][1]).email
    record = SourceRecord.objects.get(workshop=restored)
    assert Submission.objects.get(pk=record.object_id).number == 2
    assert record.data == {"tags": ["zq-archive"]}
