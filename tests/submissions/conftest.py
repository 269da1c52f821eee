from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from submissions.models import SubmissionType
from submissions.services import submission_create, submission_file_upload
from tests.factories import TopicFactory, UserFactory, WorkshopFactory
from tests.pdfs import make_pdf


@pytest.fixture
def on_commit():
    """Run on-commit callbacks (mail delivery, the deep check) as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def workshop(db):
    w = WorkshopFactory(short_name="OSLLM", slug="osllm")
    TopicFactory(workshop=w, name="Evaluation")
    TopicFactory(workshop=w, name="Data")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    SubmissionType.objects.create(workshop=w, name="Short paper", page_limit=4)
    return w


@pytest.fixture
def author(db):
    return UserFactory(name="Alice Marker-Author", email="alice@uni-a.example.edu")


def pdf_upload(pages: int = 2, name: str = "alice-paper.pdf", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(pages=pages, **kwargs), "application/pdf")


def new_submission(workshop, user, *, with_pdf: bool = True, **fields):
    values = {
        "title": "A marker study",
        "abstract": "We study $x^2$ things.",
        "primary_topic": workshop.topics.get(name="Evaluation"),
        "submission_type": SubmissionType.objects.get(workshop=workshop, name="Full paper"),
    }
    values.update(fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission = submission_create(workshop=workshop, user=user, **values)
        if with_pdf:
            submission_file_upload(
                submission=submission, user=user, kind="paper", upload=pdf_upload()
            )
    submission.refresh_from_db()
    return submission


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze django.utils.timezone.now at a given instant: `frozen_now(at)`."""

    def freeze(at: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: at)

    return freeze
