"""The author's path through the pages: create, authors, upload, submit, withdraw, restore."""

from __future__ import annotations

import re

import pytest
from django.test import TestCase
from django.urls import reverse

from submissions.models import (
    FileKind,
    Submission,
    SubmissionAction,
    SubmissionFile,
    SubmissionStatus,
)
from submissions.services import submission_restore
from tests.factories import UserFactory, make_chair
from workshop.models import Activity, OutgoingMail

from .conftest import new_submission, pdf_upload

pytestmark = pytest.mark.django_db


def post(client, url, data=None, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {}, **kwargs)


def test_create_upload_submit_through_the_pages(client, workshop, author):
    client.force_login(author)
    evaluation = workshop.topics.get(name="Evaluation")
    data_topic = workshop.topics.get(name="Data")
    full = workshop.submission_types.get(name="Full paper")
    response = post(
        client,
        reverse("submissions:new", args=[workshop.slug]),
        {
            "title": "Judging with open models",
            "abstract": "We judge with $\\alpha$.",
            "tldr": "Open judges work.",
            "keywords": "evaluation, judges",
            "submission_type": full.pk,
            "primary_topic": evaluation.pk,
            "secondary_topics": [data_topic.pk],
            "llm_use": "editing",
            "llm_use_description": "Grammar fixes only.",
            "code_url": "https://example.org/code",
            "code_licence": "Apache-2.0",
        },
    )
    submission = Submission.objects.get(workshop=workshop)
    assert response.status_code == 302
    assert submission.number == 1
    assert submission.status == SubmissionStatus.DRAFT
    assert list(submission.secondary_topics.all()) == [data_topic]
    assert submission.authors.get().email == author.email
    assert submission.authors.get().is_contact
    assert submission.registered_at is not None

    detail = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "Upload the paper PDF" in detail

    response = post(
        client,
        reverse("submissions:submit", args=[submission.pk]),
    )
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.DRAFT  # incomplete: no PDF

    post(
        client,
        reverse("submissions:upload", args=[submission.pk, "paper"]),
        {"file": pdf_upload(pages=3)},
    )
    submission.refresh_from_db()
    assert submission.paper is not None and submission.paper.pages == 3
    post(client, reverse("submissions:submit", args=[submission.pk]))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    receipt = OutgoingMail.objects.get(kind="submission_receipt", to=author.email)
    assert f"#{submission.number}" in receipt.subject
    assert submission.paper.sha256 in receipt.body_text
    assert receipt.status == "sent"

    # Every later change sends another receipt with the new SHA-256.
    post(
        client,
        reverse("submissions:upload", args=[submission.pk, "paper"]),
        {"file": pdf_upload(pages=4)},
    )
    submission.refresh_from_db()
    receipts = OutgoingMail.objects.filter(kind="submission_receipt", to=author.email)
    assert receipts.count() == 2
    assert submission.paper.sha256 in receipts.order_by("-pk")[0].body_text
    assert SubmissionFile.objects.filter(submission=submission, kind=FileKind.PAPER).count() == 2


def test_stored_and_downloaded_names_never_come_from_the_uploader(client, workshop, author):
    submission = new_submission(workshop, author)
    stored = submission.paper
    assert "alice" not in stored.file.name.lower()
    assert re.fullmatch(r"submissions/\d+/[0-9a-f]{32}\.pdf", stored.file.name)
    client.force_login(author)
    response = client.get(reverse("submissions:paper", args=[submission.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="osllm-paper-1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


def test_coauthors_see_it_at_once_or_after_verifying_and_get_invited(client, workshop, author):
    from allauth.account.models import EmailAddress

    submission = new_submission(workshop, author)
    bob = UserFactory(email="bob@lab-b.example.org")
    carol_secondary = UserFactory(email="carol@primary.example.org")
    EmailAddress.objects.create(
        user=carol_secondary, email="carol@second.example.org", verified=True
    )
    client.force_login(author)
    data = {
        "authors-TOTAL_FORMS": 4,
        "authors-INITIAL_FORMS": 0,
        "authors-0-name": "Alice", "authors-0-email": author.email, "authors-0-is_contact": "on",
        "authors-0-ORDER": 2,
        "authors-1-name": "Bob", "authors-1-email": "BOB@lab-b.example.org", "authors-1-ORDER": 1,
        "authors-2-name": "Carol", "authors-2-email": "carol@second.example.org",
        "authors-2-ORDER": 3,
        "authors-3-name": "Dan", "authors-3-email": "dan@nowhere.example.net", "authors-3-ORDER": 4,
    }  # fmt: skip
    response = post(client, reverse("submissions:authors", args=[submission.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [a.email for a in submission.authors.all()] == [
        "bob@lab-b.example.org", author.email, "carol@second.example.org", "dan@nowhere.example.net"
    ]  # fmt: skip
    # Bob and Carol (through a secondary verified address) see it at once.
    for user in (bob, carol_secondary):
        client.force_login(user)
        assert client.get(reverse("submissions:detail", args=[submission.pk])).status_code == 200
        assert b"A marker study" in client.get(reverse("submissions:dashboard")).content
    # Dan has no account: an invitation, and a notice to everyone of the change.
    invite = OutgoingMail.objects.get(kind="submission_coauthor_invite")
    assert invite.to == "dan@nowhere.example.net"
    assert "/accounts/signup/" in invite.body_text
    assert OutgoingMail.objects.filter(kind="submission_receipt").count() == 4
    # Dan signs up; until his address is verified he sees nothing.
    dan = UserFactory(email="dan@nowhere.example.net", verified=False)
    client.force_login(dan)
    assert client.get(reverse("submissions:detail", args=[submission.pk])).status_code == 404
    EmailAddress.objects.create(user=dan, email=dan.email, verified=True, primary=True)
    assert client.get(reverse("submissions:detail", args=[submission.pk])).status_code == 200
    # A non-contact co-author may look but not change.
    client.force_login(bob)
    response = post(client, reverse("submissions:submit", args=[submission.pk]))
    assert response.status_code == 403


def test_author_list_rules(client, workshop, author):
    submission = new_submission(workshop, author)
    client.force_login(author)
    base = {"authors-TOTAL_FORMS": 2, "authors-INITIAL_FORMS": 0}
    dup = {**base, "authors-0-name": "A", "authors-0-email": author.email,
           "authors-0-is_contact": "on", "authors-1-name": "B",
           "authors-1-email": author.email}  # fmt: skip
    response = post(client, reverse("submissions:authors", args=[submission.pk]), dup)
    assert "own email address" in response.content.decode()
    lose_contact = {**base, "authors-0-name": "A", "authors-0-email": author.email,
                    "authors-1-name": "B", "authors-1-email": "b@example.org",
                    "authors-1-is_contact": "on"}  # fmt: skip
    response = post(client, reverse("submissions:authors", args=[submission.pk]), lose_contact)
    assert "must stay a contact author" in response.content.decode()
    assert [a.email for a in submission.authors.all()] == [author.email]


def test_withdraw_needs_confirmation_keeps_everything_and_chair_restores(client, workshop, author):
    submission = new_submission(workshop, author)
    client.force_login(author)
    post(client, reverse("submissions:submit", args=[submission.pk]))
    page = client.get(reverse("submissions:withdraw", args=[submission.pk]))
    assert b"Withdraw the paper" in page.content
    post(client, reverse("submissions:withdraw", args=[submission.pk]))  # no confirmation
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    post(client, reverse("submissions:withdraw", args=[submission.pk]), {"confirm": "yes"})
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.WITHDRAWN
    assert submission.paper is not None
    assert OutgoingMail.objects.filter(subject__contains="withdrawn").exists()
    chair = make_chair(workshop)
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission_restore(submission=submission, user=chair)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    actions = list(
        Activity.objects.filter(submission_id=submission.pk, authors_see=True).values_list(
            "action", flat=True
        )
    )
    assert SubmissionAction.WITHDRAW in actions and SubmissionAction.RESTORE in actions


def test_withdrawal_impossible_after_a_decision(client, workshop, author):
    submission = new_submission(workshop, author)
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.ACCEPTED)
    client.force_login(author)
    response = post(
        client, reverse("submissions:withdraw", args=[submission.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.ACCEPTED


def test_author_declares_conflicts_with_committee_members_and_institutions(
    client, workshop, author
):
    from tests.factories import MembershipFactory

    submission = new_submission(workshop, author)
    reviewer = MembershipFactory(workshop=workshop).user
    outsider = UserFactory()
    client.force_login(author)
    url = reverse("submissions:conflicts", args=[submission.pk])
    page = client.get(url).content.decode()
    assert reviewer.name in page and outsider.name not in page
    post(client, url, {"members": [reviewer.pk], "institutions": "Uni X\n\nLab Y\nUni X"})
    declared = submission.declared_conflicts.all()
    assert {c.member_id for c in declared if c.member_id} == {reviewer.pk}
    assert sorted(c.institution for c in declared if c.institution) == ["Lab Y", "Uni X"]
    response = post(client, url, {"members": [outsider.pk]})
    assert response.status_code == 200  # not a valid choice
    assert submission.declared_conflicts.filter(member=outsider).count() == 0


def test_math_in_abstract_is_rendered_safely(client, workshop, author):
    submission = new_submission(
        workshop, author, abstract="Loss $\\mathcal{L}$ <script>alert(1)</script> **bold**"
    )
    client.force_login(author)
    html = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert '<span class="math inline">\\mathcal{L}</span>' in html
    assert "<script>alert(1)</script>" not in html
    assert "<strong>bold</strong>" in html
