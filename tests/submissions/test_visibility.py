"""Authors never see another paper: by page, file download, export or guessed id (404).

The victim is a complete draft (so that submit, withdraw, upload and edit would all change
it) carrying marker strings in every field an outsider could leak: title, abstract,
keywords, author names and emails, affiliations, declared conflicts, the PDF's text and the
supplementary archive. Each outsider tries every URL that takes a submission id, by GET and
by POST; the answer must be 404 (or 405 for a GET of a POST-only URL, exactly as for an id
that does not exist; a login redirect for visitors), nothing may change in the database, and
no marker may appear in anything they get back.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from submissions.models import AuthorConflict, FileKind, Submission, SubmissionFile
from submissions.services import (
    authors_replace,
    conflicts_declare,
    submission_create,
    submission_file_upload,
)
from submissions.services.authors import AuthorEntry
from tests.factories import MembershipFactory, UserFactory, WorkshopFactory, make_chair
from tests.pdfs import make_pdf, make_zip
from workshop.models import Activity, OutgoingMail, Role

pytestmark = pytest.mark.django_db

UNVERIFIED_EMAIL = "unverified-coauthor@example.org"
MARKERS = ("marker-other", "marker other", UNVERIFIED_EMAIL)  # compared case-insensitively
MISSING_PK = 987654

# url name -> (extra url args after the submission pk, POST only?)
SUBMISSION_URLS = {
    "detail": ((), False),
    "edit": ((), False),
    "authors": ((), False),
    "conflicts": ((), False),
    "upload-paper": (("paper",), True),
    "upload-supplementary": (("supplementary",), True),
    "submit": ((), True),
    "withdraw": ((), False),
    "paper": ((), False),
    "file": (("FILE",), False),
}


def _url(name: str, pk: int, file_pk: int) -> str:
    extra, _ = SUBMISSION_URLS[name]
    args = [pk, *(file_pk if a == "FILE" else a for a in extra)]
    return reverse(f"submissions:{name.split('-')[0]}", args=args)


def _post_data(name: str, submission: Submission, outsider_email: str) -> dict[str, object]:
    """What an attacker would send to each URL: every one would change the paper if allowed."""
    workshop = submission.workshop
    return {
        "edit": {
            "title": "HACKED title",
            "abstract": "HACKED",
            "submission_type": workshop.submission_types.get(name="Full paper").pk,
            "primary_topic": workshop.topics.get(name="Evaluation").pk,
            "llm_use": "none",
        },
        "authors": {
            "authors-TOTAL_FORMS": 1,
            "authors-INITIAL_FORMS": 0,
            "authors-0-name": "Mallory",
            "authors-0-email": outsider_email,
            "authors-0-is_contact": "on",
            "authors-0-ORDER": 1,
        },
        "conflicts": {"institutions": "HACKED institution"},
        "upload-paper": {
            "file": SimpleUploadedFile("x.pdf", make_pdf(pages=1, text="HACKED"), "application/pdf")
        },
        "upload-supplementary": {
            "file": SimpleUploadedFile("x.zip", make_zip({"h.txt": b"HACKED"}), "application/zip")
        },
        "withdraw": {"confirm": "yes"},
    }.get(name, {})


def _body(response) -> str:
    content = (
        b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    )
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return headers + "\n" + content.decode("latin-1")


def _assert_no_marker(response) -> None:
    text = _body(response)
    for marker in MARKERS:
        assert marker.lower() not in text.lower(), (marker, text[:3000])


def _snapshot(submission: Submission) -> dict[str, object]:
    """Everything an outsider's request could change about the victim (and any mail)."""
    return {
        "row": Submission.objects.filter(pk=submission.pk).values().get(),
        "topics": sorted(submission.secondary_topics.values_list("pk", flat=True)),
        "authors": list(
            submission.authors.order_by("position").values_list(
                "name", "email", "affiliation", "is_contact", "position"
            )
        ),
        "files": list(
            SubmissionFile.objects.order_by("pk").values_list(
                "pk", "submission_id", "kind", "sha256", "check_status"
            )
        ),
        "history": list(
            Activity.objects.filter(submission_id=submission.pk)
            .order_by("pk")
            .values_list("pk", "action", "summary")
        ),
        "conflicts": list(
            AuthorConflict.objects.order_by("pk").values_list(
                "submission_id", "member_id", "institution"
            )
        ),
        "mail": list(OutgoingMail.objects.order_by("pk").values_list("pk", "to", "kind")),
    }


@pytest.fixture
def victim(workshop):
    """Someone else's complete draft, full of markers. Made through the services; the deep
    check's on-commit callback is dropped with the test transaction (fast, and irrelevant)."""
    otto = UserFactory(
        name="Otto Marker Other", email="marker-other@example.org", affiliation="MARKER-OTHER-UNI"
    )
    submission = submission_create(
        workshop=workshop,
        user=otto,
        title="MARKER-OTHER-TITLE",
        abstract="MARKER-OTHER-ABSTRACT about things.",
        keywords="MARKER-OTHER-KEYWORD",
        primary_topic=workshop.topics.get(name="Evaluation"),
        submission_type=workshop.submission_types.get(name="Full paper"),
    )
    authors_replace(
        submission=submission,
        user=otto,
        entries=[
            AuthorEntry(otto.name, otto.email, "MARKER-OTHER-UNI", True),
            AuthorEntry("MARKER-OTHER-COAUTHOR", UNVERIFIED_EMAIL, "MARKER-OTHER-LAB", False),
        ],
    )
    conflicts_declare(
        submission=submission, user=otto, members=[], institutions=["MARKER-OTHER-INSTITUTION"]
    )
    pdf = make_pdf(pages=2, text="MARKER-OTHER-PDF-TEXT in the body.")
    submission_file_upload(
        submission=submission,
        user=otto,
        kind=FileKind.PAPER,
        upload=SimpleUploadedFile("marker-other.pdf", pdf, "application/pdf"),
    )
    archive = make_zip({"MARKER-OTHER-ZIP.txt": b"MARKER-OTHER-ZIP-CONTENT"})
    submission_file_upload(
        submission=submission,
        user=otto,
        kind=FileKind.SUPPLEMENTARY,
        upload=SimpleUploadedFile("marker-other.zip", archive, "application/zip"),
    )
    submission.refresh_from_db()
    assert submission.status == "draft" and submission.paper and submission.supplementary
    submission.owner = otto
    return submission


@pytest.fixture
def mine(workshop, author):
    """Alice's own paper in the same workshop."""
    submission = submission_create(
        workshop=workshop,
        user=author,
        title="A marker study",
        abstract="Mine.",
        primary_topic=workshop.topics.get(name="Evaluation"),
    )
    submission_file_upload(
        submission=submission,
        user=author,
        kind=FileKind.PAPER,
        upload=SimpleUploadedFile("a.pdf", make_pdf(pages=2, text="Alice's own text."), "x"),
    )
    submission.refresh_from_db()
    return submission


def _outsider(kind: str, workshop, author, mine):
    """The user trying to get in (None: a visitor who is not signed in)."""
    if kind == "author-of-another-paper":
        assert mine.authors.filter(email=author.email).exists()
        return author
    if kind == "no-papers":
        return UserFactory(name="Nobody", email="nobody@example.net")
    if kind == "unverified-email-on-author-list":
        user = UserFactory(name="Unverified", email=UNVERIFIED_EMAIL, verified=False)
        EmailAddress.objects.create(user=user, email=UNVERIFIED_EMAIL, verified=False, primary=True)
        return user
    if kind == "committee-member":
        return MembershipFactory(workshop=workshop, role=Role.REVIEWER).user
    if kind == "chair-of-another-workshop":
        return make_chair(WorkshopFactory())
    assert kind == "anonymous"
    return None


OUTSIDERS = [
    "author-of-another-paper",
    "no-papers",
    "unverified-email-on-author-list",
    "committee-member",
    "chair-of-another-workshop",
    "anonymous",
]


@pytest.mark.parametrize("url_name", list(SUBMISSION_URLS))
@pytest.mark.parametrize("outsider_kind", OUTSIDERS)
def test_outsiders_get_404_and_change_nothing(
    client, workshop, author, mine, victim, outsider_kind, url_name
):
    outsider = _outsider(outsider_kind, workshop, author, mine)
    if outsider is not None:
        client.force_login(outsider)
    file_pk = victim.paper_id if url_name != "file" else victim.supplementary_id
    url = _url(url_name, victim.pk, file_pk)
    missing_url = _url(url_name, MISSING_PK, MISSING_PK)
    post_only = SUBMISSION_URLS[url_name][1]
    before = _snapshot(victim)
    email = outsider.email if outsider else "visitor@example.net"

    for method in ("get", "post"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            if method == "get":
                response = client.get(url)
                missing = client.get(missing_url)
            else:
                response = client.post(url, _post_data(url_name, victim, email))
                missing = client.post(missing_url, _post_data(url_name, victim, email))
        if outsider is None:
            login = reverse("account_login")
            assert response.status_code == 302, method
            assert response.url.startswith(f"{login}?next="), response.url
        else:
            expected = 405 if post_only and method == "get" else 404
            assert response.status_code == expected, (method, response.status_code)
        # Denied looks exactly like non-existent.
        assert missing.status_code == response.status_code, method
        _assert_no_marker(response)
        assert _snapshot(victim) == before, method


def test_the_victims_own_author_sees_the_markers(client, victim):
    """The control for the test above: the markers are there to be leaked."""
    client.force_login(victim.owner)
    page = client.get(reverse("submissions:detail", args=[victim.pk])).content.decode()
    for marker in ("MARKER-OTHER-TITLE", "MARKER-OTHER-COAUTHOR", UNVERIFIED_EMAIL):
        assert marker in page
    pdf = client.get(reverse("submissions:paper", args=[victim.pk]))
    assert b"MARKER-OTHER-PDF-TEXT" in b"".join(pdf.streaming_content)
    supp = client.get(reverse("submissions:file", args=[victim.pk, victim.supplementary_id]))
    assert b"MARKER-OTHER-ZIP" in b"".join(supp.streaming_content)
    assert "MARKER-OTHER-TITLE" in client.get(reverse("submissions:dashboard")).content.decode()


def test_unverified_coauthor_sees_the_paper_once_the_address_is_verified(client, victim):
    user = UserFactory(name="Unverified", email=UNVERIFIED_EMAIL, verified=False)
    address = EmailAddress.objects.create(
        user=user, email=UNVERIFIED_EMAIL, verified=False, primary=True
    )
    client.force_login(user)
    detail = reverse("submissions:detail", args=[victim.pk])
    assert client.get(detail).status_code == 404
    assert "MARKER-OTHER" not in client.get(reverse("submissions:dashboard")).content.decode()
    address.verified = True
    address.save()
    client.force_login(user)  # a fresh request: nothing cached on the user
    assert client.get(detail).status_code == 200


def test_guessed_file_ids_of_another_paper_under_ones_own_submission_are_404(
    client, author, mine, victim
):
    client.force_login(author)
    own = reverse("submissions:file", args=[mine.pk, mine.paper_id])
    assert client.get(own).status_code == 200  # the control
    for file_pk in (victim.paper_id, victim.supplementary_id, MISSING_PK):
        response = client.get(reverse("submissions:file", args=[mine.pk, file_pk]))
        assert response.status_code == 404, file_pk
        _assert_no_marker(response)
    # Nor the other way round: one's own file under the other paper's id.
    response = client.get(reverse("submissions:file", args=[victim.pk, mine.paper_id]))
    assert response.status_code == 404
    # Every file id there is, under one's own submission: only one's own files are served.
    served = [
        f.pk
        for f in SubmissionFile.objects.all()
        if client.get(reverse("submissions:file", args=[mine.pk, f.pk])).status_code == 200
    ]
    assert served == [mine.paper_id]


def test_dashboard_lists_only_ones_own_papers(client, workshop, author, mine, victim):
    client.force_login(author)
    response = client.get(reverse("submissions:dashboard"))
    page = response.content.decode()
    assert "A marker study" in page
    assert reverse("submissions:detail", args=[mine.pk]) in page
    assert reverse("submissions:detail", args=[victim.pk]) not in page
    _assert_no_marker(response)

    client.force_login(UserFactory())
    response = client.get(reverse("submissions:dashboard"))
    assert "You have no submissions yet" in response.content.decode()
    assert "A marker study" not in response.content.decode()
    _assert_no_marker(response)


@pytest.mark.parametrize("outsider_kind", ["author-of-another-paper", "no-papers"])
def test_admin_changelist_change_page_and_csv_export_are_closed_to_authors(
    client, workshop, author, mine, victim, outsider_kind
):
    outsider = _outsider(outsider_kind, workshop, author, mine)
    assert not outsider.is_staff
    client.force_login(outsider)
    admin_login = reverse("admin:login")
    changelist = reverse("admin:submissions_submission_changelist")
    requests = [
        ("get", changelist, {}),
        ("get", changelist, {"q": "MARKER"}),
        ("get", reverse("admin:submissions_submission_change", args=[victim.pk]), {}),
        ("get", reverse("admin:submissions_submission_change", args=[mine.pk]), {}),
        (
            "post",
            changelist,
            {"action": "export_csv", "_selected_action": [victim.pk, mine.pk], "index": 0},
        ),
    ]
    before = _snapshot(victim)
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (method, url)
        assert response.url.startswith(f"{admin_login}?next="), response.url
        assert "text/csv" not in response.get("Content-Type", "")
        _assert_no_marker(response)
    assert _snapshot(victim) == before


def test_staff_who_chairs_nothing_gets_nothing_in_the_admin(client, victim):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    changelist = reverse("admin:submissions_submission_changelist")
    for response in (
        client.get(changelist),
        client.get(reverse("admin:submissions_submission_change", args=[victim.pk])),
        client.post(changelist, {"action": "export_csv", "_selected_action": [victim.pk]}),
    ):
        assert response.status_code in (302, 403, 404)
        assert "text/csv" not in response.get("Content-Type", "")
        _assert_no_marker(response)


def test_chairs_of_the_workshop_download_every_version_and_others_get_404(client, workshop, victim):
    chair = make_chair(workshop)
    versions = list(SubmissionFile.objects.filter(submission=victim))
    assert len(versions) == 2
    client.force_login(chair)
    for stored in versions:
        response = client.get(reverse("submissions:file", args=[victim.pk, stored.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == stored.file.open("rb").read()
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "marker-other" not in response["Content-Disposition"]
    other_chair = make_chair(WorkshopFactory())
    client.force_login(other_chair)
    for stored in versions:
        response = client.get(reverse("submissions:file", args=[victim.pk, stored.pk]))
        assert response.status_code == 404
        _assert_no_marker(response)
