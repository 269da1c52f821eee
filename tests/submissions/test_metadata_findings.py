"""Check findings say everything a chair must know (issue 13): identifying PDF metadata
(a /Author naming an author) is reported to the chair and stripped from the reviewer copy;
anonymity hits are listed once each, with page and snippet; the authors' history says what
it found without pointing at a warning that is not there."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from submissions.filechecks.findings import check_findings
from submissions.models import CheckStatus, FileKind
from submissions.services import submission_file_upload
from tests.factories import make_chair
from tests.pdfs import make_pdf
from workshop.models import Activity

from .conftest import new_submission

pytestmark = pytest.mark.django_db

NAME = "Alice Marker-Author"


def upload(submission, user, pdf: bytes):
    with TestCase.captureOnCommitCallbacks(execute=True):
        stored = submission_file_upload(
            submission=submission,
            user=user,
            kind=FileKind.PAPER,
            upload=SimpleUploadedFile("paper.pdf", pdf, "application/pdf"),
        )
    stored.refresh_from_db()
    return stored


def test_a_metadata_author_is_a_finding_for_the_chair_and_stripped_for_reviewers(
    client, workshop, author
):
    paper = new_submission(workshop, author, with_pdf=False)
    stored = upload(paper, author, make_pdf(pages=1, text="An anonymous study.", author=NAME))
    assert stored.check_status == CheckStatus.DONE
    assert stored.check_report["metadata_hits"] == [{"field": "/Author", "text": NAME}]
    findings = check_findings(stored.check_report)
    assert findings[0] == (
        "identifying metadata (/Author), stripped from the reviewer copy",
        NAME,
    )

    chair = make_chair(workshop)
    client.force_login(chair)
    page = client.get(reverse("admin:submissions_submission_change", args=[paper.pk]))
    html = page.content.decode()
    assert "identifying metadata (/Author), stripped from the reviewer copy" in html
    assert "What the check found" in html

    # Reviewers get the copy: no metadata, no name.
    copy = stored.reviewer_copy.open("rb").read()
    assert NAME.encode() not in copy
    assert "/Author" not in (PdfReader(io.BytesIO(copy)).metadata or {})

    # The authors are not told about a chair-only finding as if it were a warning.
    client.force_login(author)
    detail = client.get(reverse("submissions:detail", args=[paper.pk])).content.decode()
    assert "identifying metadata" not in detail and "Anonymity warning" not in detail


def test_each_anonymity_hit_is_listed_once_with_its_page(client, workshop, author):
    paper = new_submission(workshop, author, with_pdf=False)
    text = f"By {NAME} <{author.email}>, Uni A.\nWe study things."
    stored = upload(paper, author, make_pdf(pages=1, text=text))
    hits = stored.check_report["anonymity_hits"]
    keys = [(h["page"], h["text"]) for h in hits]
    assert keys and len(keys) == len(set(keys))
    entry = Activity.objects.filter(submission_id=paper.pk, action="submission.check").get()
    assert entry.summary == "automatic check: author names found in the text on page 1"
    assert "see above" not in entry.summary
    client.force_login(author)
    detail = client.get(reverse("submissions:detail", args=[paper.pk])).content.decode()
    warning = detail.split("Anonymity warning", 1)[1].split("</article>", 1)[0]
    assert warning.count("<li>") == len(keys)


def test_the_chairs_digest_says_what_the_admin_says(workshop, author):
    """The findings reach the chairs in the admin's words, in their daily digest by default
    (a chair who chose "a mail each time" gets it at once); authors are not sent them."""
    from workshop.models import MailStatus, OutgoingMail
    from workshop.outbox import digests_send

    chair = make_chair(workshop)
    eager = make_chair(workshop)
    eager.notification_prefs = {"check_findings": "event"}
    eager.save()
    paper = new_submission(workshop, author, with_pdf=False)
    stored = upload(paper, author, make_pdf(pages=1, text="An anonymous study.", author=NAME))
    words = check_findings(stored.check_report)[0][0]

    mails = {m.to: m for m in OutgoingMail.objects.filter(kind="check_findings")}
    assert set(mails) == {chair.email, eager.email}
    assert mails[chair.email].status == MailStatus.DIGEST
    assert mails[eager.email].status == MailStatus.SENT
    for mail in mails.values():
        assert words in mail.body_text and NAME in mail.body_text
    assert not OutgoingMail.objects.filter(to=author.email, body_text__contains=words).exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert digests_send() == 1
    digest = OutgoingMail.objects.get(kind="digest", to=chair.email)
    assert words in digest.body_text
