"""The author dashboard and the chairs' submissions admin: constant queries, what they show,
the CSV export, search, filters, the restore action, and the workshop scope."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from submissions.models import (
    Authorship,
    FileKind,
    Submission,
    SubmissionAction,
    SubmissionFile,
    SubmissionStatus,
    SubmissionType,
)
from submissions.services import (
    submission_create,
    submission_file_upload,
    submission_submit,
    submission_withdraw,
)
from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from tests.pdfs import make_pdf
from workshop.models import Activity

pytestmark = pytest.mark.django_db

PDF = make_pdf(pages=2)
CHANGELIST = "admin:submissions_submission_changelist"


def make_paper(
    workshop,
    user,
    title: str,
    *,
    with_pdf: bool = True,
    submit: bool = False,
    coauthor: tuple[str, str] | None = None,
    **fields,
) -> Submission:
    """A paper with a primary and a secondary topic, two authors and (by default) a PDF.

    Through the services, without running on-commit work: the deep check is not needed here
    (its callback is dropped with the test transaction), which keeps 20 papers fast.
    """
    topics = sorted(workshop.topics.all(), key=lambda t: t.name != "Evaluation")
    stype = SubmissionType.objects.filter(workshop=workshop).first()
    submission = submission_create(
        workshop=workshop,
        user=user,
        title=title,
        abstract="We study things.",
        primary_topic=topics[0],
        secondary_topics=topics[1:],
        submission_type=stype,
        **fields,
    )
    name, email = coauthor or (f"Co {title[:20]}", f"co{submission.pk}@lab.example.org")
    Authorship.objects.create(submission=submission, position=2, name=name, email=email)
    if with_pdf:
        submission_file_upload(
            submission=submission,
            user=user,
            kind=FileKind.PAPER,
            upload=SimpleUploadedFile("p.pdf", PDF, "application/pdf"),
        )
    if submit:
        submission_submit(submission=submission, user=user)
    submission.refresh_from_db()
    return submission


def count_queries(client, url: str, params: dict | None = None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def row_of(page: str, submission: Submission) -> str:
    """The table row (<tr>...</tr>) that links to the submission's detail page."""
    link = reverse("submissions:detail", args=[submission.pk])
    rows = [r for r in page.split("<tr>") if f'href="{link}"' in r]
    assert len(rows) == 1, link
    return rows[0].split("</tr>", 1)[0]


def change_link(submission: Submission) -> str:
    return reverse("admin:submissions_submission_change", args=[submission.pk])


# --- the author dashboard ---------------------------------------------------------------------


def test_dashboard_runs_the_same_number_of_queries_for_2_and_20_papers(client, workshop, author):
    for i in range(2):
        make_paper(workshop, author, f"Paper {i}", submit=i % 2 == 0)
    client.force_login(author)
    url = reverse("submissions:dashboard")
    few, page = count_queries(client, url)
    assert page.count("<tr>") == 1 + 2
    for i in range(2, 20):
        make_paper(workshop, author, f"Paper {i}", submit=i % 3 == 1)
    many, page = count_queries(client, url)
    assert page.count("<tr>") == 1 + 20
    assert all(f"Paper {i}</a>" in page for i in range(20))
    assert few == many, f"{few} queries for 2 papers, {many} for 20"


def test_dashboard_across_workshops_stays_constant_too(client, workshop, author):
    others = [WorkshopFactory() for _ in range(3)]
    for w in others:
        TopicFactory(workshop=w)
    make_paper(workshop, author, "Here")
    make_paper(others[0], author, "There")
    client.force_login(author)
    url = reverse("submissions:dashboard")
    few, _ = count_queries(client, url)
    for w in others:
        for i in range(3):
            make_paper(w, author, f"{w.short_name} {i}", submit=i == 0)
    many, page = count_queries(client, url)
    assert page.count("<tr>") == 1 + 2 + 9
    assert few == many, f"{few} queries, then {many}"


def test_dashboard_shows_status_topic_next_deadline_and_todo(client, workshop, author):
    no_pdf = make_paper(workshop, author, "Draft without a PDF", with_pdf=False)
    with_pdf = make_paper(workshop, author, "Draft with a PDF")
    submitted = make_paper(workshop, author, "Submitted paper", submit=True)
    client.force_login(author)
    page = client.get(reverse("submissions:dashboard")).content.decode()
    deadline = workshop.paper_deadline.isoformat()

    for submission in (no_pdf, with_pdf, submitted):
        row = row_of(page, submission)
        assert f"#{submission.number} {submission.title}" in row
        assert '<td data-label="Workshop">OSLLM</td>' in row
        assert ">Evaluation</td>" in row
        assert "Paper deadline<br>" in row
        assert f'<time class="deadline" datetime="{deadline}"' in row

    row = row_of(page, no_pdf)
    assert ">Draft</span>" in row
    assert ">Upload the paper PDF</a>" in row
    assert ">Submit the paper for review</a>" in row
    row = row_of(page, with_pdf)
    assert ">Draft</span>" in row
    assert "Upload the paper PDF" not in row
    assert ">Submit the paper for review</a>" in row
    row = row_of(page, submitted)
    assert ">Submitted</span>" in row
    # A submitted paper has nothing left but the optional conflicts (see test_todo.py).
    assert "Submit the paper for review" not in row
    assert 'data-todo="conflicts"' in row and "(optional)" in row


def test_dashboard_after_the_deadline_says_the_draft_was_not_submitted(
    client, workshop, author, frozen_now
):
    draft = make_paper(workshop, author, "Late draft")
    frozen_now(workshop.paper_deadline + (workshop.review_deadline - workshop.paper_deadline) / 2)
    client.force_login(author)
    row = row_of(client.get(reverse("submissions:dashboard")).content.decode(), draft)
    assert "The deadline passed before this draft was submitted" in row
    assert "Submit the paper for review" not in row
    assert "Paper deadline" not in row  # the next milestone has moved on


# --- the chairs' admin: queries ---------------------------------------------------------------


def test_admin_changelist_runs_the_same_number_of_queries_for_2_and_20_papers(
    client, workshop, author
):
    chair = make_chair(workshop)
    for i in range(2):
        make_paper(workshop, author, f"Paper {i}", submit=i % 2 == 0)
    client.force_login(chair)
    url = reverse(CHANGELIST)
    few, page = count_queries(client, url)
    assert page.count('class="action-select"') == 2
    for i in range(2, 20):
        user = author if i % 2 else UserFactory()
        make_paper(workshop, user, f"Paper {i}", submit=i % 3 == 1)
    many, page = count_queries(client, url)
    assert page.count('class="action-select"') == 20
    assert few == many, f"{few} queries for 2 papers, {many} for 20"
    # The columns come from prefetched data: authors, topics, pages and flags.
    assert "Co Paper 19" in page and "Evaluation, Data" in page


# --- the chairs' admin: export, search, filters, restore, scope -----------------------------


@pytest.fixture
def two_workshops(workshop, author):
    """Workshop A (the fixture, chaired by `chair`) and B with papers full of B-markers."""
    chair = make_chair(workshop)
    other = WorkshopFactory(short_name="OTHER")
    TopicFactory(workshop=other, name="B topic")
    b_author = UserFactory(name="MARKER-B-AUTHOR", email="marker-b@example.org")
    b_paper = make_paper(other, b_author, "MARKER-B-TITLE", submit=True)
    return chair, other, b_paper


def export(client, ids: list[int], **extra) -> list[list[str]]:
    response = client.post(
        reverse(CHANGELIST), {"action": "export_csv", "_selected_action": ids, **extra}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="submissions.csv"'
    text = response.content.decode()
    assert "MARKER-B" not in text and "marker-b" not in text
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_has_one_row_per_selected_paper_of_the_chairs_workshop_only(
    client, workshop, author, two_workshops
):
    chair, _, b_paper = two_workshops
    first = make_paper(workshop, author, "First paper", submit=True)
    second = make_paper(workshop, author, "Second paper")
    make_paper(workshop, author, "Not selected")
    client.force_login(chair)
    header, *rows = export(client, [first.pk, second.pk, b_paper.pk])
    assert header[:4] == ["workshop", "number", "title", "status"]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (str(first.number), "First paper", "Submitted"),
        (str(second.number), "Second paper", "Draft"),
    ]
    by_name = dict(zip(header, rows[0], strict=True))
    assert by_name["workshop"] == "OSLLM"
    assert by_name["primary topic"] == "Evaluation"
    assert by_name["secondary topics"] == "Data"
    assert by_name["authors"] == f"{author.name}; Co First paper"
    assert by_name["emails"] == f"{author.email}; co{first.pk}@lab.example.org"
    assert by_name["pages"] == "2"
    assert by_name["sha256"] == first.paper.sha256
    # Only B's paper selected: the CSV has its header and nothing else.
    assert export(client, [b_paper.pk]) == [header]


def test_csv_export_of_everything_is_still_only_the_chairs_workshop(
    client, workshop, author, two_workshops
):
    chair, _, _ = two_workshops
    papers = [make_paper(workshop, author, f"Paper {i}") for i in range(3)]
    client.force_login(chair)
    _, *rows = export(client, [papers[0].pk], select_across=1, index=0)
    assert sorted(r[2] for r in rows) == ["Paper 0", "Paper 1", "Paper 2"]


def test_csv_export_neutralises_formula_cells(client, workshop, two_workshops):
    chair, _, _ = two_workshops
    evil = UserFactory(name="+cmd", email="evil@example.org", affiliation="@SUM(1+1)*cmd")
    paper = make_paper(
        workshop,
        evil,
        '=HYPERLINK("http://evil")',
        keywords="-2+3,cmd",
        coauthor=("Plain Name", "plain@example.org"),
    )
    client.force_login(chair)
    header, row = export(client, [paper.pk])
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == '\'=HYPERLINK("http://evil")'
    assert cells["authors"] == "'+cmd; Plain Name"
    assert cells["keywords"] == "'-2+3,cmd"
    assert cells["affiliations"].startswith("'@SUM(1+1)*cmd")
    assert cells["emails"] == "evil@example.org; plain@example.org"  # untouched
    for value in row:
        assert not value.startswith(("=", "+", "-", "@")), value


def test_search_by_author_email_finds_only_the_chairs_papers(
    client, workshop, author, two_workshops
):
    chair, _, b_paper = two_workshops
    found = make_paper(workshop, author, "Found", coauthor=("Carol", "carol@lab-c.example.org"))
    missed = make_paper(workshop, author, "Missed")
    client.force_login(chair)
    page = client.get(reverse(CHANGELIST), {"q": "carol@lab-c.example.org"}).content.decode()
    assert change_link(found) in page and change_link(missed) not in page
    page = client.get(reverse(CHANGELIST), {"q": "CAROL@LAB-C"}).content.decode()
    assert change_link(found) in page and change_link(missed) not in page
    page = client.get(reverse(CHANGELIST), {"q": "marker-b@example.org"}).content.decode()
    assert change_link(b_paper) not in page and "MARKER-B" not in page
    assert "0 results" in page


def test_the_check_flags_filter(client, workshop, author, two_workshops):
    chair, _, b_paper = two_workshops
    clean = make_paper(workshop, author, "Clean")
    anonymity = make_paper(workshop, author, "Names inside")
    hidden = make_paper(workshop, author, "Hidden words")
    both = make_paper(workshop, author, "Both problems")
    no_pdf = make_paper(workshop, author, "No PDF", with_pdf=False)
    SubmissionFile.objects.filter(pk__in=[anonymity.paper_id, both.paper_id]).update(
        anonymity_flag=True
    )
    SubmissionFile.objects.filter(pk__in=[hidden.paper_id, both.paper_id]).update(
        hidden_text_flag=True
    )
    SubmissionFile.objects.filter(pk=b_paper.paper_id).update(
        anonymity_flag=True, hidden_text_flag=True
    )
    # A flagged old version does not count: only the current paper does.
    old = clean.paper_id
    SubmissionFile.objects.filter(pk=old).update(anonymity_flag=True, hidden_text_flag=True)
    submission_file_upload(
        submission=clean,
        user=author,
        kind=FileKind.PAPER,
        upload=SimpleUploadedFile("p.pdf", make_pdf(pages=3), "application/pdf"),
    )
    clean.refresh_from_db()
    assert clean.paper_id != old
    client.force_login(chair)
    expected = {
        "anonymity": {anonymity, both},
        "hidden": {hidden, both},
        "any": {anonymity, hidden, both},
    }
    everyone = {clean, anonymity, hidden, both, no_pdf, b_paper}
    for value, wanted in expected.items():
        response = client.get(reverse(CHANGELIST), {"flag": value})
        assert response.status_code == 200, value
        page = response.content.decode()
        shown = {s for s in everyone if change_link(s) in page}
        assert shown == wanted, (value, sorted(s.title for s in shown))
        assert page.count('class="action-select"') == len(wanted), value
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "Anonymity warning" in page and "Hidden text" in page  # the filter's choices


def test_restore_action_restores_a_withdrawn_paper_of_the_chairs_workshop_only(
    client, workshop, author, two_workshops
):
    chair, _, b_paper = two_workshops
    paper = make_paper(workshop, author, "Withdrawn then restored", submit=True)
    submission_withdraw(submission=paper, user=author)
    submission_withdraw(submission=b_paper, user=b_paper.created_by)
    client.force_login(chair)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST),
            {"action": "restore_withdrawn", "_selected_action": [paper.pk, b_paper.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "1 submission restored." in response.content.decode()
    paper.refresh_from_db()
    b_paper.refresh_from_db()
    assert paper.status == SubmissionStatus.SUBMITTED
    assert paper.status_before_withdrawal == "" and paper.withdrawn_at is None
    assert b_paper.status == SubmissionStatus.WITHDRAWN
    assert Activity.objects.filter(
        submission_id=paper.pk, action=SubmissionAction.RESTORE, actor=chair
    ).exists()


def test_a_chair_of_another_workshop_gets_404_on_the_change_page(
    client, workshop, author, two_workshops
):
    chair, other, b_paper = two_workshops
    paper = make_paper(workshop, author, "A's paper")
    client.force_login(chair)
    assert client.get(change_link(paper)).status_code == 200
    assert client.get(change_link(b_paper)).status_code == 404
    other_chair = make_chair(other)
    client.force_login(other_chair)
    before = Submission.objects.filter(pk=paper.pk).values().get()
    assert client.get(change_link(paper)).status_code == 404
    response = client.post(change_link(paper), {"title": "Changed by B's chair"})
    assert response.status_code == 404
    assert Submission.objects.filter(pk=paper.pk).values().get() == before
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert change_link(b_paper) in page and change_link(paper) not in page
    assert "A&#x27;s paper" not in page and "A's paper" not in page
