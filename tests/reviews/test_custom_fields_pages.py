"""Custom submission fields (issue 27) in the review tools: the forum shows each viewer the
answers the policy lets them read (chairs-only and identifying fields hidden from reviewers),
the desk shows and searches them, the CSV exports carry them; and the desk, the forum and the
submissions list ask as many queries with ten fields on 30 papers as with one on 10."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from submissions.models import SubmissionField, SubmissionFieldValue
from tests.factories import WorkshopFactory
from tests.reviews.desk import desk_build
from workshop.models import AnonymityMode

pytestmark = pytest.mark.django_db

KINDS = ["url", "number", "text", "select", "checkbox", "checkboxes", "long_text", "radio",
         "number", "url"]  # fmt: skip


def fields_add(workshop, count: int) -> list[SubmissionField]:
    """`count` fields; the first two are the issue's: a reviewers' "link to code" URL and a
    chairs-only "GPU hours" number."""
    made = [
        SubmissionField.objects.create(
            workshop=workshop, code="code-link", label="Link to code", kind="url", required=True
        ),
        SubmissionField.objects.create(
            workshop=workshop, code="gpu-hours", label="GPU hours", kind="number",
            visibility="chairs",
        ),
    ][:count]  # fmt: skip
    for i in range(len(made), count):
        made.append(
            SubmissionField.objects.create(
                workshop=workshop,
                code=f"q{i}",
                label=f"Question {i}",
                kind=KINDS[i],
                choices="Yes\nNo",
                order=i,
                identifying=(i == 2),
            )
        )
    return made


def answers_add(papers, fields) -> None:
    rows = []
    for n, paper in enumerate(papers):
        for field in fields:
            value = SubmissionFieldValue(submission=paper, field=field)
            if field.kind == "number":
                value.number = Decimal(50 * n)  # 0, 50, 100, 150, ...
            elif field.kind == "checkboxes":
                value.items = ["Yes"]
            elif field.kind in ("select", "radio"):
                value.text = "Yes"
            elif field.kind == "checkbox":
                value.text = "yes"
            else:
                value.text = f"https://code.example/{paper.number}"
            rows.append(value)
    SubmissionFieldValue.objects.bulk_create(rows)


@pytest.fixture(scope="module")
def desks(django_db_setup, django_db_blocker):
    """One field on 10 papers, ten fields on 30 (rolled back at the end of the module)."""
    with django_db_blocker.unblock(), transaction.atomic():
        small = desk_build(WorkshopFactory(slug="cf-small", short_name="CFS"), 10)
        large = desk_build(WorkshopFactory(slug="cf-large", short_name="CFL"), 30)
        answers_add(small.papers, fields_add(small.workshop, 1))
        answers_add(large.papers, fields_add(large.workshop, 10))
        yield small, large
        transaction.set_rollback(True)


def pages(desk) -> dict[str, tuple[object, str]]:
    ws = desk.workshop
    board = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={ws.pk}"
    forum = reverse("reviews:paper", args=[ws.slug, desk.papers[1].number])
    return {
        "desk": (desk.chair, board),
        "desk search": (desk.chair, board + "&q=field%3Acode-link%3Ayes"),
        "desk export": (desk.chair, reverse("admin:reviews_decisions_export") + f"?workshop={ws.pk}"),  # noqa: E501
        "submissions": (
            desk.chair,
            reverse("admin:submissions_submission_changelist") + f"?workshop__id__exact={ws.pk}",
        ),
        "forum, chair": (desk.chair, forum),
        "forum, reviewer": (desk.reviewers[1], forum),
    }  # fmt: skip


def count(client, desk) -> dict[str, int]:
    out = {}
    for name, (user, url) in pages(desk).items():
        client.force_login(user)
        assert client.get(url).status_code == 200, name  # warm-up (session, categories)
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, name
            counts.append(len(ctx.captured_queries))
        out[name] = min(counts)
    return out


def test_query_counts_do_not_grow_with_custom_fields_or_papers(client, desks):
    small, large = desks
    assert count(client, small) == count(client, large)


def forum_text(client, desk, user, paper) -> str:
    client.force_login(user)
    response = client.get(reverse("reviews:paper", args=[desk.workshop.slug, paper.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_reviewer_sees_the_link_but_not_the_gpu_hours(client, desks):
    _, desk = desks
    paper = desk.papers[1]
    page = forum_text(client, desk, desk.reviewers[1], paper)
    assert "Link to code" in page and f"https://code.example/{paper.number}" in page
    assert "GPU hours" not in page
    assert desk.workshop.anonymity == AnonymityMode.DOUBLE_BLIND
    assert "Question 2" not in page  # identifying, under double-blind
    assert "Question 3" in page
    chair_page = forum_text(client, desk, desk.chair, paper)
    assert "GPU hours" in chair_page and "(chairs only)" in chair_page
    assert "Question 2" in chair_page


def test_an_identifying_field_reaches_reviewers_without_double_blind(client, desks):
    _, desk = desks
    desk.workshop.anonymity = AnonymityMode.SINGLE_BLIND
    desk.workshop.save()
    assert "Question 2" in forum_text(client, desk, desk.reviewers[1], desk.papers[1])


def test_attachments_follow_the_fields_visibility(client, desks):
    _, desk = desks
    paper = desk.papers[1]
    shown = SubmissionField.objects.create(
        workshop=desk.workshop, code="appendix", label="Appendix", kind="attachment"
    )
    hidden = SubmissionField.objects.create(
        workshop=desk.workshop, code="budget", label="Budget", kind="attachment",
        visibility="chairs",
    )  # fmt: skip
    urls = []
    for field in (shown, hidden):
        value = SubmissionFieldValue(
            submission=paper, field=field, content_type="application/pdf", size=5, sha256="0" * 64
        )
        value.file.save("x", ContentFile(b"%PDF-"), save=True)
        urls.append(
            reverse("reviews:field_file", args=[desk.workshop.slug, paper.number, value.pk])
        )
    client.force_login(desk.reviewers[1])
    response = client.get(urls[0])
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        f'{desk.workshop.slug}-{paper.number}-appendix.pdf"'
    )
    assert client.get(urls[1]).status_code == 404
    client.force_login(desk.reviewers[5])  # not assigned to paper 1 (reviewers 1, 2, 3 are)
    assert client.get(urls[0]).status_code == 404
    client.force_login(desk.chair)
    assert client.get(urls[1]).status_code == 200


def test_the_desk_finds_and_shows_the_answers(client, desks):
    _, desk = desks
    client.force_login(desk.chair)
    board = reverse("admin:reviews_decisionboard_changelist")
    response = client.get(board, {"workshop": desk.workshop.pk, "q": "field:gpu-hours:>100"})
    page = response.content.decode()
    expected = {p.number for n, p in enumerate(desk.papers) if 50 * n > 100}
    shown = {p.number for p in desk.papers if f'aria-label="Tick #{p.number}"' in page}
    assert shown == expected & shown and shown  # the first page of them
    assert "Custom fields" in page and "GPU hours: 150" in page
    bad = client.get(board, {"workshop": desk.workshop.pk, "q": "field:nope:yes"})
    assert "is not the code of a custom field" in bad.content.decode()


def rows_of(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))


def test_the_csv_exports_carry_the_answers(client, desks):
    _, desk = desks
    client.force_login(desk.chair)
    export = reverse("admin:reviews_decisions_export")
    rows = rows_of(client.get(export, {"workshop": desk.workshop.pk}))
    by_number = {int(r["number"]): r for r in rows}
    third = desk.papers[3]
    assert by_number[third.number]["field:gpu-hours"] == "150"
    assert by_number[third.number]["field:code-link"] == f"https://code.example/{third.number}"
    response = client.post(
        reverse("admin:submissions_submission_changelist"),
        {"action": "export_csv", "_selected_action": [p.pk for p in desk.papers[:4]]},
    )
    rows = rows_of(response)
    assert [r["field:gpu-hours"] for r in rows] == ["0", "50", "100", "150"]
