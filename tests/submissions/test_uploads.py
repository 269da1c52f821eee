"""Uploads through the page: every bad file is refused with a message naming the problem,
and nothing changes (the previous valid version stays current, no new row, no receipt).

Bad input -> the message the author sees (after "The file was not accepted: "):

===================  ===================================================================
paper                message
===================  ===================================================================
PNG renamed .pdf     The file is not a PDF: it does not start with the PDF signature
                     '%PDF-'. Please upload a PDF document.
text renamed .pdf    (same as PNG)
ZIP as the paper     (same as PNG)
truncated PDF        The PDF cannot be parsed; the file seems to be damaged or is not a
                     valid PDF (PdfStreamError: Stream has ended unexpectedly). Please
                     export it again and re-upload.
corrupt PDF          (same as truncated)
encrypted PDF        The PDF is encrypted or password-protected. Please upload a version
                     without a password or security restrictions.
JavaScript           The PDF contains JavaScript (in document catalog (/Names/JavaScript)).
                     Scripts are not allowed in submissions; please export the PDF again
                     without scripts or interactive forms.
launch action        The PDF contains a launch action that can start programs or open files
                     (in document catalog (/OpenAction)). Please remove it and upload again.
embedded file        The PDF contains embedded files or attachments (in document catalog
                     (/Names/EmbeddedFiles)). Attachments are not allowed inside the paper;
                     please remove them (use supplementary material).
1.2 MB, limit 1 MB   The file is 1.2 MB; the limit is 1 MB.
1.02 MB, limit 1 MB  The file is too large: it is 1,069,548 bytes, and the limit is 1,048,576 bytes.
5 pages, Short (4)   The PDF has too many pages: it has 5 pages, and the limit is 4.
empty file           The file is empty (0 bytes).
===================  ===================================================================
supplementary        message
===================  ===================================================================
path traversal       The ZIP archive contains a file whose path escapes the archive
                     ('..'): '../../etc/cron.d/evil'.
absolute path        The ZIP archive contains a file with an absolute path: '/etc/passwd'.
                     Use relative paths only.
symlink              The ZIP archive contains a symbolic link: 'link'. Symlinks are not
                     allowed.
encrypted member     The ZIP archive contains an encrypted (password-protected) file:
                     'secret.txt'.
1001 members         The ZIP archive has too many files: it has 1001, and the limit is 1000.
zip bomb             The ZIP archive looks like a zip bomb: 'weights.bin' expands from 4 KB
                     to 4 MB (more than 200 times).
PNG                  The supplementary file is neither a PDF nor a ZIP archive (judged by
                     its content, not its name). Please upload a PDF or a ZIP file.
PDF with JavaScript  (same as the paper's JavaScript message)
===================  ===================================================================
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from submissions.models import FileKind, Submission, SubmissionFile, SubmissionType
from submissions.services import (
    authors_replace,
    submission_create,
    submission_file_upload,
    submission_submit,
)
from submissions.services.authors import AuthorEntry
from tests.factories import UserFactory
from tests.pdfs import make_pdf, make_zip
from workshop.models import Activity, OutgoingMail

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
REFUSED = "The file was not accepted: "
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
GOOD_ZIP = make_zip({"code/run.py": b"print('hello')\n", "README.md": b"# How to run\n"})


def _truncated_pdf() -> bytes:
    """The first 300 bytes of a real PDF: a header and half an object, nothing else."""
    return make_pdf(pages=2)[:300]


def _oversized_pdf() -> bytes:
    """A valid PDF padded with a trailing comment to 1.2 MB (the limit is set to 1 MB)."""
    pdf = make_pdf(pages=1)
    return pdf + b"%" + b"x" * (int(1.2 * MB) - len(pdf)) + b"\n"


def _zip_with_many_members(count: int = 1001) -> bytes:
    return make_zip({f"f{i}.txt": b"" for i in range(count)}, compression=zipfile.ZIP_STORED)


def _zip_bomb() -> bytes:
    return make_zip({"weights.bin": bytes(4 * MB)})  # 4 MB of zeros deflate to ~4 KB


# (id, file name, content, what the message must say)
BAD_PAPERS = [
    ("png-renamed-pdf", "paper.pdf", PNG, "not a PDF"),
    ("text-renamed-pdf", "paper.pdf", b"Dear chairs, here is our paper.\n", "not a PDF"),
    ("zip-as-paper", "paper.pdf", GOOD_ZIP, "not a PDF"),
    ("truncated-pdf", "paper.pdf", _truncated_pdf(), "cannot be parsed"),
    ("corrupt-pdf", "paper.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8, "cannot be parsed"),
    ("encrypted-pdf", "paper.pdf", make_pdf(pages=2, encrypted=True), "encrypted"),
    ("javascript", "paper.pdf", make_pdf(pages=2, javascript=True), "JavaScript"),
    ("launch-action", "paper.pdf", make_pdf(pages=2, launch_action=True), "launch action"),
    ("embedded-file", "paper.pdf", make_pdf(pages=2, embedded_file=True), "embedded file"),
    ("over-size-limit", "paper.pdf", _oversized_pdf(), "limit is 1 MB"),
]

BAD_SUPPLEMENTARY = [
    ("path-traversal", make_zip({"../../etc/cron.d/evil": b"x"}), "'..'"),
    ("absolute-path", make_zip({"/etc/passwd": b"x"}), "absolute path"),
    ("symlink", make_zip({"a.txt": b"x"}, symlinks={"link": "/etc/passwd"}), "symbolic link"),
    ("encrypted-member", make_zip({"secret.txt": b"x"}, encrypted=("secret.txt",)), "encrypted"),
    ("too-many-members", _zip_with_many_members(), "too many files"),
    ("zip-bomb", _zip_bomb(), "zip bomb"),
    ("png", PNG, "neither a PDF nor a ZIP"),
    ("javascript-pdf", make_pdf(javascript=True), "JavaScript"),
]


# --- helpers ----------------------------------------------------------------------------------


def _make(workshop, user, *, type_name: str = "Full paper", submit: bool = True) -> Submission:
    """A complete paper with a valid 2-page PDF, made through the services. The deep check's
    on-commit callback is discarded with the test transaction, which keeps this fast."""
    submission = submission_create(
        workshop=workshop,
        user=user,
        title="A marker study",
        abstract="We study things.",
        primary_topic=workshop.topics.get(name="Evaluation"),
        submission_type=SubmissionType.objects.get(workshop=workshop, name=type_name),
    )
    submission_file_upload(
        submission=submission,
        user=user,
        kind=FileKind.PAPER,
        upload=SimpleUploadedFile("p.pdf", make_pdf(pages=2), "application/pdf"),
    )
    if submit:
        submission_submit(submission=submission, user=user)
    submission.refresh_from_db()
    return submission


def _post_upload(client, submission, kind: str, name: str, content: bytes, ctype: str):
    """POST one file through the view (running on-commit work: mail, the deep check).

    Returns the response, its (level, text) messages, and the text of the page it redirects
    to, fetched at once (so the messages are shown there, and consumed).
    """
    url = reverse("submissions:upload", args=[submission.pk, kind])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile(name, content, ctype)})
    messages = [(m.level_tag, str(m.message)) for m in response.wsgi_request._messages]
    page = html.unescape(client.get(response.url).content.decode()) if response.url else ""
    return response, messages, page


def _state(submission: Submission) -> dict[str, object]:
    submission.refresh_from_db()
    return {
        "paper": submission.paper_id,
        "supplementary": submission.supplementary_id,
        "status": submission.status,
        "files": sorted(submission.files.values_list("pk", flat=True)),
        "history": Activity.objects.filter(submission_id=submission.pk).count(),
        "receipts": OutgoingMail.objects.filter(kind="submission_receipt").count(),
        "mails": OutgoingMail.objects.count(),
    }


def _assert_refused(submission, response, messages, page, must_say: str) -> str:
    """One error message naming the problem, shown on the detail page; return its text."""
    detail = reverse("submissions:detail", args=[submission.pk])
    assert response.status_code == 302 and response.url == detail
    errors = [text for level, text in messages if level == "error"]
    assert len(errors) == 1, messages
    assert not [text for level, text in messages if level == "success"], messages
    (message,) = errors
    assert message.startswith(REFUSED), message
    assert must_say.lower() in message.lower(), message
    assert message in page
    return message[len(REFUSED) :]


@pytest.fixture
def paper(workshop, author):
    return _make(workshop, author)


# --- bad papers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "must_say"),
    [pytest.param(n, c, m, id=i) for i, n, c, m in BAD_PAPERS],
)
def test_bad_paper_is_refused_with_a_clear_message_and_nothing_changes(
    client, workshop, author, paper, name, content, must_say
):
    workshop.upload_limit_mb = 1
    workshop.save(update_fields=["upload_limit_mb"])
    before = _state(paper)
    client.force_login(author)
    response, messages, page = _post_upload(
        client, paper, "paper", name, content, "application/pdf"
    )
    _assert_refused(paper, response, messages, page, must_say)
    assert _state(paper) == before
    # The previous valid version is still what authors download.
    download = client.get(reverse("submissions:paper", args=[paper.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == paper.paper.file.open("rb").read()


def test_too_many_pages_for_the_submission_type(client, workshop, author):
    short = _make(workshop, author, type_name="Short paper")
    before = _state(short)
    client.force_login(author)
    response, messages, page = _post_upload(
        client, short, "paper", "paper.pdf", make_pdf(pages=5), "application/pdf"
    )
    message = _assert_refused(short, response, messages, page, "too many pages")
    assert "5 pages" in message and "limit is 4" in message
    assert _state(short) == before
    # The same 5 pages are fine for a full paper (limit 8): the limit comes from the type.
    full = _make(workshop, author, type_name="Full paper")
    response, messages, page = _post_upload(
        client, full, "paper", "paper.pdf", make_pdf(pages=5), "application/pdf"
    )
    assert [level for level, _ in messages] == ["success"], messages
    full.refresh_from_db()
    assert full.paper.pages == 5


def test_a_file_just_over_the_limit_gets_a_message_showing_it_is_over(client, workshop, paper):
    workshop.upload_limit_mb = 1
    workshop.save(update_fields=["upload_limit_mb"])
    before = _state(paper)
    client.force_login(paper.created_by)
    pdf = make_pdf(pages=1)
    content = pdf + b"%" + b"x" * (MB + 20 * 1024 - len(pdf)) + b"\n"
    response, messages, page = _post_upload(
        client, paper, "paper", "paper.pdf", content, "application/pdf"
    )
    message = _assert_refused(paper, response, messages, page, "limit")
    assert _state(paper) == before
    size, limit = (float(n.replace(",", "")) for n in re.findall(r"\d[\d,.]*\d|\d", message)[:2])
    assert size > limit, message


def test_empty_file_is_refused_with_a_message_saying_it_is_empty(client, author, paper):
    before = _state(paper)
    client.force_login(author)
    response, messages, page = _post_upload(
        client, paper, "paper", "paper.pdf", b"", "application/pdf"
    )
    assert response.status_code == 302
    assert _state(paper) == before
    errors = [text for level, text in messages if level == "error"]
    assert errors and "empty" in errors[0].lower(), messages
    assert errors[0] in page


def test_empty_file_is_refused_and_nothing_changes(client, author, paper):
    """An empty file changes nothing (its message is checked above)."""
    before = _state(paper)
    client.force_login(author)
    response, messages, page = _post_upload(
        client, paper, "paper", "paper.pdf", b"", "application/pdf"
    )
    assert response.status_code == 302
    assert [level for level, _ in messages] == ["error"], messages
    assert messages[0][1] in page
    assert _state(paper) == before


# --- supplementary material ---------------------------------------------------------------


@pytest.fixture
def with_supplementary(client, author, paper):
    client.force_login(author)
    _, messages, _ = _post_upload(
        client, paper, "supplementary", "supp.zip", GOOD_ZIP, "application/zip"
    )
    assert [level for level, _ in messages] == ["success"], messages
    paper.refresh_from_db()
    assert paper.supplementary is not None
    return paper


@pytest.mark.parametrize(
    ("content", "must_say"),
    [pytest.param(c, m, id=i) for i, c, m in BAD_SUPPLEMENTARY],
)
def test_bad_supplementary_is_refused_and_the_previous_one_stays(
    client, with_supplementary, content, must_say
):
    paper = with_supplementary
    before = _state(paper)
    response, messages, page = _post_upload(
        client, paper, "supplementary", "supp.zip", content, "application/zip"
    )
    _assert_refused(paper, response, messages, page, must_say)
    assert _state(paper) == before
    assert (
        paper.supplementary.sha256 == SubmissionFile.objects.get(pk=before["supplementary"]).sha256
    )


def test_good_zip_is_accepted_stored_as_zip_and_downloaded_under_a_generated_name(
    client, workshop, author, with_supplementary
):
    paper = with_supplementary
    stored = paper.supplementary
    assert paper.number == 1
    assert stored.kind == FileKind.SUPPLEMENTARY
    assert stored.content_type == "application/zip"
    assert stored.file.name.endswith(".zip") and "supp" not in stored.file.name
    assert stored.pages is None and stored.check_status == "skipped"
    assert stored.size == len(GOOD_ZIP)
    response = client.get(reverse("submissions:file", args=[paper.pk, stored.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="osllm-supplementary-1.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body == GOOD_ZIP
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == ["code/run.py", "README.md"]
    # The paper itself is untouched by a supplementary upload.
    assert paper.paper.kind == FileKind.PAPER


# --- good uploads: receipts and versions ----------------------------------------------------


def test_good_upload_on_a_submitted_paper_sends_every_author_a_receipt_with_the_new_hash(
    client, workshop, author, paper
):
    bob = UserFactory(name="Bob Coauthor", email="bob@lab-b.example.org")
    with TestCase.captureOnCommitCallbacks(execute=True):
        authors_replace(
            submission=paper,
            user=author,
            entries=[
                AuthorEntry(author.name, author.email, "Uni A", True),
                AuthorEntry(bob.name, bob.email, "Lab B", False),
                AuthorEntry("Dan Noaccount", "dan@nowhere.example.net", "", False),
            ],
        )
    old_sha = paper.paper.sha256
    receipts_before = set(
        OutgoingMail.objects.filter(kind="submission_receipt").values_list("pk", flat=True)
    )
    client.force_login(author)
    new_pdf = make_pdf(pages=3, text="The revised version of our study.")
    response, messages, page = _post_upload(
        client, paper, "paper", "v2.pdf", new_pdf, "application/pdf"
    )
    assert response.status_code == 302
    assert messages == [("success", f"Paper uploaded ({len(new_pdf):,} bytes, 3 pages).")]
    assert messages[0][1] in page
    paper.refresh_from_db()
    new_sha = paper.paper.sha256
    assert new_sha != old_sha and paper.paper.pages == 3
    new = OutgoingMail.objects.filter(kind="submission_receipt").exclude(pk__in=receipts_before)
    assert sorted(m.to for m in new) == sorted([author.email, bob.email, "dan@nowhere.example.net"])
    for mail in new:
        assert new_sha in mail.body_text
        assert old_sha not in mail.body_text
        assert mail.status == "sent", (mail.last_error, mail.next_attempt_at, mail.attempts)


def test_upload_on_a_draft_sends_no_receipt(client, workshop, author):
    draft = _make(workshop, author, submit=False)
    client.force_login(author)
    _, messages, _ = _post_upload(
        client, draft, "paper", "v2.pdf", make_pdf(pages=3), "application/pdf"
    )
    assert [level for level, _ in messages] == ["success"]
    assert not OutgoingMail.objects.filter(kind="submission_receipt").exists()


def test_every_version_is_kept_and_listed_with_sha256_and_page_count(client, author, paper):
    client.force_login(author)
    for pages in (3, 5, 7):
        pdf = make_pdf(pages=pages, text=f"Version with {pages} pages.")
        _, messages, _ = _post_upload(client, paper, "paper", "v.pdf", pdf, "application/pdf")
        assert [level for level, _ in messages] == ["success"], messages
    versions = list(SubmissionFile.objects.filter(submission=paper, kind=FileKind.PAPER))
    assert sorted(v.pages for v in versions) == [2, 3, 5, 7]
    assert len({v.sha256 for v in versions}) == 4
    paper.refresh_from_db()
    assert paper.paper.pages == 7
    page = client.get(reverse("submissions:detail", args=[paper.pk])).content.decode()
    assert "All versions (4)" in page
    rows = page.split("<summary>All versions", 1)[1].split("</table>", 1)[0].split("<tr>")[2:]
    assert len(rows) == 4
    for row, version in zip(rows, sorted(versions, key=lambda v: -v.pk), strict=True):
        assert f'title="{version.sha256}"' in row
        assert f"<td>{version.pages}</td>" in row
        assert reverse("submissions:file", args=[paper.pk, version.pk]) in row
        assert ("current" in row) == (version.pk == paper.paper_id)
        # Each old version still downloads byte for byte.
        response = client.get(reverse("submissions:file", args=[paper.pk, version.pk]))
        body = b"".join(response.streaming_content)
        assert len(PdfReader(io.BytesIO(body)).pages) == version.pages
        assert hashlib.sha256(body).hexdigest() == version.sha256
