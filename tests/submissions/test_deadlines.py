"""One second before the deadline is accepted; one second after it (beyond grace) every
write path refuses, including a direct POST, and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from django.urls import reverse

from submissions.models import Submission, SubmissionStatus

from .conftest import new_submission, pdf_upload

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)
GRACE = dt.timedelta(minutes=10)


def _post(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


def write_paths(workshop, submission):
    """(name, url, data, changed?) for every author write path."""
    evaluation = workshop.topics.get(name="Evaluation")
    full = workshop.submission_types.get(name="Full paper")
    meta = {"title": "Changed title", "abstract": "Changed.", "primary_topic": evaluation.pk,
            "submission_type": full.pk, "llm_use": "none"}  # fmt: skip
    authors = {"authors-TOTAL_FORMS": 2, "authors-INITIAL_FORMS": 0,
               "authors-0-name": "Alice", "authors-0-email": "alice@uni-a.example.edu",
               "authors-0-is_contact": "on", "authors-1-name": "Zed",
               "authors-1-email": "zed@example.org"}  # fmt: skip
    s = submission
    return {
        "create": (
            reverse("submissions:new", args=[workshop.slug]),
            {**meta, "title": "Another paper"},
            lambda: Submission.objects.filter(title="Another paper").exists(),
        ),
        "edit": (
            reverse("submissions:edit", args=[s.pk]),
            meta,
            lambda: Submission.objects.get(pk=s.pk).title == "Changed title",
        ),
        "authors": (
            reverse("submissions:authors", args=[s.pk]),
            authors,
            lambda: s.authors.filter(email="zed@example.org").exists(),
        ),
        "conflicts": (
            reverse("submissions:conflicts", args=[s.pk]),
            {"institutions": "Conflict U"},
            lambda: s.declared_conflicts.exists(),
        ),
        "upload": (
            reverse("submissions:upload", args=[s.pk, "paper"]),
            {"file": pdf_upload(pages=5)},
            lambda: s.files.count() == 2,
        ),
        "supplementary": (
            reverse("submissions:upload", args=[s.pk, "supplementary"]),
            {"file": pdf_upload(pages=1)},
            lambda: Submission.objects.get(pk=s.pk).supplementary_id is not None,
        ),
        "submit": (
            reverse("submissions:submit", args=[s.pk]),
            {},
            lambda: Submission.objects.get(pk=s.pk).status == SubmissionStatus.SUBMITTED,
        ),
    }


PATHS = ["create", "edit", "authors", "conflicts", "upload", "supplementary", "submit"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("grace", [dt.timedelta(0), GRACE])
def test_one_second_before_is_accepted(client, workshop, author, frozen_now, path, grace):
    submission = new_submission(workshop, author)
    workshop.grace_minutes = int(grace.total_seconds() // 60)
    workshop.save()
    deadline = workshop.paper_deadline
    frozen_now(deadline + grace - SECOND)
    client.force_login(author)
    url, data, changed = write_paths(workshop, submission)[path]
    response = _post(client, url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert changed()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("grace", [dt.timedelta(0), GRACE])
def test_one_second_after_is_refused(client, workshop, author, frozen_now, path, grace):
    submission = new_submission(workshop, author)
    workshop.grace_minutes = int(grace.total_seconds() // 60)
    workshop.save()
    frozen_now(workshop.paper_deadline + grace + SECOND)
    client.force_login(author)
    url, data, changed = write_paths(workshop, submission)[path]
    response = _post(client, url, data)
    assert response.status_code == 403
    text = response.content.decode()
    assert "deadline" in text.lower() or "closed" in text.lower()
    assert not changed()


def test_supplementary_has_its_own_later_deadline(client, workshop, author, frozen_now):
    submission = new_submission(workshop, author)
    workshop.supplementary_deadline = workshop.paper_deadline + dt.timedelta(days=2)
    workshop.save()
    client.force_login(author)
    frozen_now(workshop.paper_deadline + SECOND)
    url, data, changed = write_paths(workshop, submission)["supplementary"]
    assert _post(client, url, data).status_code == 302
    assert changed()
    url, data, changed = write_paths(workshop, submission)["upload"]
    assert _post(client, url, data).status_code == 403
    frozen_now(workshop.supplementary_deadline + SECOND)
    url, data, _ = write_paths(workshop, submission)["supplementary"]
    assert _post(client, url, data).status_code == 403


def test_abstract_deadline_requires_registration_in_time(client, workshop, author, frozen_now):
    workshop.abstract_deadline = workshop.paper_deadline - dt.timedelta(days=3)
    workshop.save()
    registered = new_submission(workshop, author, with_pdf=False)
    late = new_submission(workshop, author, with_pdf=False, abstract="")
    assert registered.registered_at is not None
    assert late.registered_at is None
    frozen_now(workshop.abstract_deadline + SECOND)
    client.force_login(author)
    # New papers are refused after the abstract deadline ...
    url, data, changed = write_paths(workshop, registered)["create"]
    assert _post(client, url, data).status_code == 403 and not changed()
    # ... a registered one can still get its PDF and be submitted ...
    url, data, changed = write_paths(workshop, registered)["upload"]
    assert _post(client, url, data).status_code == 302
    url, data, changed = write_paths(workshop, registered)["submit"]
    assert _post(client, url, data).status_code == 302 and changed()
    # ... an unregistered draft is frozen.
    url, data, changed = write_paths(workshop, late)["edit"]
    assert _post(client, url, data).status_code == 403 and not changed()


def test_withdrawal_remains_possible_after_the_deadline(client, workshop, author, frozen_now):
    submission = new_submission(workshop, author)
    frozen_now(workshop.paper_deadline + dt.timedelta(days=1))
    client.force_login(author)
    response = _post(
        client, reverse("submissions:withdraw", args=[submission.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.WITHDRAWN
