"""Every file flow against a real S3-compatible server (moto's, started by conftest.py):
nothing may assume the files are on this host's disk (issue 29, part 4).

The settings point `STORAGES["default"]` at S3Storage and `MEDIA_ROOT` at a directory that
does not exist, so a `.path`, an `open()` on a stored name or a FileSystemStorage assumption
anywhere in a flow fails here."""

from __future__ import annotations

import datetime as dt
import io
import urllib.request
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from programme.models import ProgrammeSettings
from programme.services import material_upload, paper_place, programme_publish
from reviews.models import ReviewCopy
from reviews.services.copies import review_copy_make
from submissions.models import (
    ProceedingsBundle,
    Submission,
    SubmissionFieldValue,
    SubmissionFile,
    SubmissionType,
)
from submissions.services import (
    field_answers_save,
    submission_create,
    submission_file_upload,
    submission_submit,
)
from submissions.services.camera_ready import camera_ready_upload, proceedings_request
from submissions.services.lifecycle import submission_set_outcome
from tests.factories import (
    AssignmentFactory,
    SubmissionFieldFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.pdfs import make_pdf, make_zip
from tests.programme.world import build_world
from transfer.archive import archive_export, archive_restore, files_of
from transfer.models import JobStatus
from transfer.report import Report
from transfer.services import transfer_job_create, transfer_restore_create
from workshop.models import Workshop
from workshop.policy import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop(db):
    w = WorkshopFactory(short_name="S3W", slug="s3w")
    TopicFactory(workshop=w, name="Evaluation")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    return w


@pytest.fixture
def author(db):
    return UserFactory(name="Alice Bucket", email="alice@uni-a.example.edu")


def _paper(workshop: Workshop, author, pdf: bytes) -> Submission:
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission = submission_create(
            workshop=workshop,
            user=author,
            title="Objects, not paths",
            abstract="We store everything remotely.",
            primary_topic=workshop.topics.get(),
            submission_type=SubmissionType.objects.get(workshop=workshop),
        )
        submission_file_upload(
            submission=submission,
            user=author,
            kind="paper",
            upload=SimpleUploadedFile("p.pdf", pdf, "application/pdf"),
        )
    submission.refresh_from_db()
    return submission


def _upload(client, submission: Submission, kind: str, name: str, data: bytes, ctype: str):
    url = reverse("submissions:upload", args=[submission.pk, kind])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile(name, data, ctype)})
    assert response.status_code == 302
    submission.refresh_from_db()


def _body(response) -> bytes:
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def _stored(field) -> bytes:
    with default_storage.open(field.name, "rb") as fh:
        return fh.read()


def test_uploads_and_replacements_are_objects_in_the_bucket_and_checked_there(
    client, workshop, author, s3_storage
):
    first, second = make_pdf(pages=2), make_pdf(pages=3)
    submission = _paper(workshop, author, first)
    client.force_login(author)
    _upload(client, submission, "paper", "v2.pdf", second, "application/pdf")
    supplement = make_zip({"code/run.py": b"print('hi')\n"})
    _upload(client, submission, "supplementary", "s.zip", supplement, "application/zip")
    newer = make_zip({"code/run.py": b"print('again')\n"})
    _upload(client, submission, "supplementary", "s2.zip", newer, "application/zip")

    paper = submission.paper
    assert paper.pages == 3 and _stored(paper.file) == second
    assert _stored(submission.supplementary.file) == newer
    # The deep check read the stored object and stored the reviewer copy beside it.
    assert paper.check_status == "done", paper.check_report
    assert paper.reviewer_copy.name and default_storage.exists(paper.reviewer_copy.name)
    versions = SubmissionFile.objects.filter(submission=submission)
    names = {f.file.name for f in versions} | {f.reviewer_copy.name for f in versions}
    assert sorted(n for n in names if n) == s3_storage()  # every version kept, nothing else
    # The author downloads the current paper and the supplementary material, streamed.
    assert _body(client.get(reverse("submissions:paper", args=[submission.pk]))) == second
    url = reverse("submissions:file", args=[submission.pk, submission.supplementary_id])
    assert _body(client.get(url)) == newer


def test_a_refused_upload_leaves_no_object_behind(client, workshop, author, s3_storage):
    submission = _paper(workshop, author, make_pdf(pages=1))
    before = s3_storage()
    client.force_login(author)
    _upload(client, submission, "paper", "x.pdf", b"\x89PNG not a pdf", "application/pdf")
    assert s3_storage() == before


@pytest.fixture
def reviewed(workshop, author):
    """A submitted paper with its reviewer copy made, one assigned reviewer, one outsider."""
    submission = _paper(workshop, author, make_pdf(pages=2))
    submission_submit(submission=submission, user=author)
    submission.refresh_from_db()
    reviewer = UserFactory(name="Rita Reviewer")
    AssignmentFactory(submission=submission, reviewer=reviewer)
    assert submission.paper.reviewer_copy
    return submission, reviewer, UserFactory(name="Otto Outsider")


@pytest.mark.parametrize("signed", [False, True], ids=["streamed", "signed-url"])
def test_downloads_stream_or_redirect_and_the_access_rules_hold(
    client, settings, reviewed, author, signed
):
    settings.FILES_SIGNED_URLS = signed
    submission, reviewer, outsider = reviewed
    paper = submission.paper
    author_url = reverse("submissions:paper", args=[submission.pk])
    review_url = reverse("reviews:paper_pdf", args=[submission.workshop.slug, submission.number])

    def fetch(user, url) -> bytes:
        client.force_login(user)
        response = client.get(url)
        assert response["Cache-Control"] == "private, no-store"
        if not signed:
            return _body(response)
        assert response.status_code == 302, response.content[:300]
        assert "Signature=" in response.url and response.url.startswith(
            settings.AWS_S3_ENDPOINT_URL
        )
        with urllib.request.urlopen(response.url, timeout=10) as remote:  # the object store
            assert remote.headers["Content-Type"] == "application/pdf"
            disposition = remote.headers["Content-Disposition"]
            assert f"s3w-paper-{submission.number}.pdf" in disposition
            return remote.read()

    assert fetch(author, author_url) == _stored(paper.file)
    assert fetch(reviewer, review_url) == _stored(paper.reviewer_copy)
    assert fetch(reviewer, review_url + "?download=1") == _stored(paper.reviewer_copy)
    # Neither the outsider nor the reviewer gets the author's route; the outsider no route.
    for user, url in ((outsider, author_url), (outsider, review_url), (reviewer, author_url)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 404, (user, url, response.status_code)
        assert "Location" not in response


def test_review_copy_with_canaries_is_made_from_and_stored_in_the_bucket(reviewed, s3_storage):
    submission, reviewer, _ = reviewed
    Workshop.objects.filter(pk=submission.workshop_id).update(review_copy_canary=True)
    assignment = submission.assignments.get(reviewer=reviewer)
    assert review_copy_make(assignment.pk) == "made"
    copy = ReviewCopy.objects.get(assignment=assignment)
    assert copy.file.name in s3_storage()
    assert _stored(copy.file).startswith(b"%PDF")
    assert _stored(copy.file) != _stored(submission.paper.reviewer_copy)  # stamped


def test_camera_ready_and_the_proceedings_bundle(client, workshop, author, s3_storage):
    submission = _paper(workshop, author, make_pdf(pages=2))
    submission_submit(submission=submission, user=author)
    chair = make_chair(workshop)
    submission_set_outcome(submission=submission, outcome="accept", chair=chair)
    Workshop.objects.filter(pk=workshop.pk).update(decisions_released=True)
    submission.refresh_from_db()
    final = make_pdf(pages=4)
    with TestCase.captureOnCommitCallbacks(execute=True):
        camera_ready_upload(
            submission=submission,
            user=author,
            upload=SimpleUploadedFile("final.pdf", final, "application/pdf"),
        )
    submission.refresh_from_db()
    assert _stored(submission.camera_ready.file) == final
    with TestCase.captureOnCommitCallbacks(execute=True):  # the task runs (eager)
        bundle = proceedings_request(workshop=workshop, chair=chair)
    bundle.refresh_from_db()
    assert bundle.status == "done", bundle.error
    assert bundle.file.name in s3_storage()
    with zipfile.ZipFile(io.BytesIO(_stored(bundle.file))) as archive:
        assert archive.read(f"papers/s3w-{submission.number}.pdf") == final
    client.force_login(chair)
    response = client.get(reverse("admin:submissions_bundle_download", args=[bundle.pk]))
    assert _body(response) == _stored(bundle.file)


def test_the_workshop_archive_exports_and_restores_its_files(workshop, author, s3_storage):
    pdf = make_pdf(pages=2)
    submission = _paper(workshop, author, pdf)
    bundle = ProceedingsBundle(workshop=workshop, papers=0)
    bundle.file.save("bundle.zip", ContentFile(b"PK bundle bytes"), save=False)
    bundle.save()
    data = archive_export(workshop=workshop)
    exported = dict(files_of(data))
    assert pdf in exported.values() and b"PK bundle bytes" in exported.values()

    Workshop.objects.filter(pk=workshop.pk).update(slug="s3w-old", short_name="OLD")
    Submission.objects.filter(pk=submission.pk).update(title="old")
    before = set(s3_storage())
    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report, slug="s3w-copy")
    assert report.ok, report.errors
    files = SubmissionFile.objects.filter(submission__workshop=restored)
    assert pdf in [_stored(f.file) for f in files]
    restored_bundle = ProceedingsBundle.objects.get(workshop=restored)
    assert _stored(restored_bundle.file) == b"PK bundle bytes"
    assert set(s3_storage()) > before  # the copies are new objects, the originals kept


@pytest.mark.parametrize("signed", [False, True], ids=["streamed", "signed-url"])
def test_a_custom_field_attachment_is_checked_stored_and_served_from_the_bucket(
    client, settings, workshop, author, s3_storage, signed
):
    settings.FILES_SIGNED_URLS = signed
    submission = _paper(workshop, author, make_pdf(pages=1))
    SubmissionFieldFactory(workshop=workshop, code="appendix", kind="attachment")
    appendix = make_pdf(pages=2)
    field_answers_save(
        submission=submission,
        user=author,
        answers={"appendix": SimpleUploadedFile("mine.pdf", appendix, "application/pdf")},
    )
    value = SubmissionFieldValue.objects.get(submission=submission, field__code="appendix")
    assert value.file.name in s3_storage() and _stored(value.file) == appendix
    url = reverse("submissions:field_file", args=[submission.pk, value.pk])
    client.force_login(author)
    response = client.get(url)
    if signed:
        assert response.status_code == 302
        with urllib.request.urlopen(response.url, timeout=10) as remote:
            assert remote.read() == appendix
            assert "s3w-1-appendix.pdf" in remote.headers["Content-Disposition"]
    else:
        assert _body(response) == appendix
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_the_archive_jobs_keep_their_upload_and_result_in_the_bucket(workshop, author, s3_storage):
    """The queued export writes its result to the bucket; the restore reads its upload back
    from there (a worker on another host than the web process that took the upload)."""
    pdf = make_pdf(pages=2)
    _paper(workshop, author, pdf)
    chair = make_chair(workshop)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the task runs (eager)
        export = transfer_job_create(workshop=workshop, chair=chair, kind="export", fmt="")
    export.refresh_from_db()
    assert export.status == JobStatus.DONE, export.report
    assert export.result.name in s3_storage()
    data = _stored(export.result)
    assert pdf in dict(files_of(data)).values()
    admin = UserFactory(is_superuser=True, is_staff=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        restore = transfer_restore_create(actor=admin, data=data, slug="s3w-job", dry_run=False)
    restore.refresh_from_db()
    assert restore.status == JobStatus.DONE, restore.report
    assert restore.upload.name in s3_storage()
    restored = Workshop.objects.get(slug="s3w-job")
    files = SubmissionFile.objects.filter(submission__workshop=restored)
    assert [_stored(f.file) for f in files] == [pdf]


def test_slides_are_stored_in_the_bucket_and_served_with_the_programme(client, s3_storage):
    world = build_world(papers=1)
    paper = world.accepted[0]
    paper_place(actor=world.chair, submission=paper, session=world.orals)
    ProgrammeSettings.objects.filter(workshop=world.workshop).update(
        upload_deadline=timezone.now() + dt.timedelta(days=3)
    )
    programme_publish(actor=world.chair, workshop=world.workshop)
    slides = make_pdf(pages=3)
    placement = material_upload(
        actor=world.authors[0],
        submission=paper,
        kind="slides",
        upload=SimpleUploadedFile("talk.pdf", slides, "application/pdf"),
    )
    assert placement.material.name in s3_storage() and placement.material_pages == 3
    url = reverse("programme:material", args=[world.workshop.slug, paper.number])
    assert _body(client.get(url)) == slides
