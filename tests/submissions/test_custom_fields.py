"""Custom submission fields (issue 27): the server checks every answer (kind, choices, URL,
word limits, number, attachment, condition, milestone, required), and the `field:` search."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse

from submissions.filechecks import FileCheckError
from submissions.models import Submission, SubmissionFieldValue, SubmissionStatus
from submissions.services import field_answers_save, submission_submit
from tests.factories import SubmissionFieldFactory, UserFactory, make_chair
from tests.pdfs import make_pdf
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import Activity
from workshop.search import SearchContext, SearchError, search_compile

from .conftest import new_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(workshop):
    made = {
        "link": SubmissionFieldFactory(
            workshop=workshop, code="code-link", label="Link to code", kind="url", required=True
        ),
        "gpu": SubmissionFieldFactory(
            workshop=workshop, code="gpu-hours", label="GPU hours", kind="number",
            visibility="chairs",
        ),
        "licence": SubmissionFieldFactory(
            workshop=workshop, code="licence", label="Licence", kind="select",
            choices="Apache-2.0\nMIT\nOther",
        ),
        "other": SubmissionFieldFactory(
            workshop=workshop, code="licence-other", label="Which licence?", kind="text",
            required=True, condition_field=None,
        ),
        "statement": SubmissionFieldFactory(
            workshop=workshop, code="statement", label="Statement", kind="long_text",
            soft_word_limit=3, hard_word_limit=5,
        ),
    }  # fmt: skip
    made["other"].condition_field = made["licence"]
    made["other"].condition_value = "Other"
    made["other"].save()
    return made


@pytest.fixture
def paper(workshop, author, fields):
    return new_submission(workshop, author)


def values(paper):
    return {v.field.code: v for v in SubmissionFieldValue.objects.filter(submission=paper)}


def test_answers_are_checked_and_saved_with_one_history_entry(paper, author):
    before = Activity.objects.count()
    warnings = field_answers_save(
        submission=paper,
        user=author,
        answers={"code-link": "https://github.com/x/y", "gpu-hours": "120.5",
                 "licence": "MIT", "statement": "one two three four"},
    )  # fmt: skip
    stored = values(paper)
    assert stored["code-link"].text == "https://github.com/x/y"
    assert stored["gpu-hours"].number == Decimal("120.5")
    assert stored["licence"].text == "MIT"
    assert warnings == ["“Statement”: 4 words, more than the 3 asked for (accepted)."]
    assert Activity.objects.count() == before + 1
    entry = Activity.objects.latest("pk")
    assert "Link to code" in entry.summary and "GPU hours" in entry.summary
    # Saving the same answers again changes nothing and records nothing.
    field_answers_save(submission=paper, user=author, answers={"gpu-hours": "120.50"})
    assert Activity.objects.count() == before + 1


@pytest.mark.parametrize(
    ("code", "raw", "words"),
    [
        ("code-link", "not a url", "enter a full web address"),
        ("code-link", "javascript:alert(1)", "enter a full web address"),
        ("gpu-hours", "lots", "is not a number"),
        ("gpu-hours", "1e20", "too large"),
        ("licence", "GPL", "is not one of the choices"),
        ("statement", "one two three four five six", "more than the limit of 5"),
        ("nope", "x", "Unknown fields: nope"),
    ],
)
def test_bad_answers_are_refused_with_a_message_and_change_nothing(paper, author, code, raw, words):
    field_answers_save(submission=paper, user=author, answers={"gpu-hours": "7"})
    with pytest.raises(ServiceError) as refused:
        field_answers_save(submission=paper, user=author, answers={"gpu-hours": "8", code: raw})
    assert words in refused.value.message
    assert values(paper)["gpu-hours"].number == 7


def test_a_condition_asks_a_field_only_when_it_holds(paper, author):
    # "Which licence?" is asked only when the licence is "Other": ignored before.
    field_answers_save(submission=paper, user=author, answers={"licence-other": "WTFPL"})
    assert "licence-other" not in values(paper)
    field_answers_save(
        submission=paper, user=author, answers={"licence": "Other", "licence-other": "WTFPL"}
    )
    assert values(paper)["licence-other"].text == "WTFPL"
    # The condition no longer holds: the answer is cleared.
    field_answers_save(submission=paper, user=author, answers={"licence": "MIT"})
    assert "licence-other" not in values(paper)


def test_a_field_of_one_submission_type_is_not_asked_of_the_others(paper, author, workshop):
    short = workshop.submission_types.get(name="Short paper")
    poster = SubmissionFieldFactory(workshop=workshop, code="poster", kind="checkbox",
                                    required=True)  # fmt: skip
    poster.submission_types.set([short])
    field_answers_save(submission=paper, user=author, answers={"poster": True})
    assert "poster" not in values(paper)  # a full paper is not asked


def test_a_required_field_blocks_submitting_with_a_clear_message(workshop, author, fields):
    draft = new_submission(workshop, author)
    Submission.objects.filter(pk=draft.pk).update(status=SubmissionStatus.DRAFT)
    draft.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        submission_submit(submission=draft, user=author)
    assert "Answer “Link to code”" in refused.value.message
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.DRAFT
    field_answers_save(submission=draft, user=author, answers={"code-link": "https://a.example/x"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission_submit(submission=draft, user=author)
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.SUBMITTED


def test_an_answer_closes_at_its_milestone(paper, author, workshop, fields, frozen_now):
    fields["gpu"].editable_until = "camera_ready_deadline"
    fields["gpu"].save()
    frozen_now(workshop.paper_deadline + dt.timedelta(hours=1))
    with pytest.raises(DeadlinePassed, match="Link to code"):
        field_answers_save(
            submission=paper, user=author, answers={"code-link": "https://b.example"}
        )
    # Submitted but undecided after the paper deadline: the camera-ready field waits too.
    with pytest.raises(DeadlinePassed):
        field_answers_save(submission=paper, user=author, answers={"gpu-hours": "3"})
    Submission.objects.filter(pk=paper.pk).update(status=SubmissionStatus.ACCEPTED)
    workshop.decisions_released = True
    workshop.camera_ready_deadline = workshop.paper_deadline + dt.timedelta(days=60)
    workshop.save()
    paper.refresh_from_db()
    field_answers_save(submission=paper, user=author, answers={"gpu-hours": "3"})
    assert values(paper)["gpu-hours"].number == 3
    # An unchanged answer of a closed field is not a refusal (the form sends every field).
    field_answers_save(submission=paper, user=author, answers={"code-link": ""})  # unchanged


def test_only_contact_authors_answer(paper, workshop):
    with pytest.raises(NotAllowed):
        field_answers_save(submission=paper, user=UserFactory(), answers={"gpu-hours": "1"})


def test_an_attachment_goes_through_the_file_checks(paper, author, workshop):
    SubmissionFieldFactory(workshop=workshop, code="appendix", kind="attachment")
    with pytest.raises(FileCheckError):
        bad = SimpleUploadedFile("x.pdf", b"%PDF-1.4 not really", "application/pdf")
        field_answers_save(submission=paper, user=author, answers={"appendix": bad})
    pdf = make_pdf(pages=1)
    field_answers_save(submission=paper, user=author,
                       answers={"appendix": SimpleUploadedFile("mine.pdf", pdf)})  # fmt: skip
    stored = values(paper)["appendix"]
    assert stored.size == len(pdf) and stored.content_type == "application/pdf"
    assert "mine" not in stored.file.name
    client = Client()
    client.force_login(author)
    response = client.get(reverse("submissions:field_file", args=[paper.pk, stored.pk]))
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    client.force_login(UserFactory())
    response = client.get(reverse("submissions:field_file", args=[paper.pk, stored.pk]))
    assert response.status_code == 404


def search(workshop, query):
    q = search_compile(query, SearchContext(frozenset({workshop.pk})))
    return sorted(
        Submission.objects.filter(workshop=workshop).filter(q).values_list("number", flat=True)
    )


def test_the_search_finds_answers(workshop, author, fields):
    first, second, third = (new_submission(workshop, author) for _ in range(3))
    field_answers_save(
        submission=first,
        user=author,
        answers={"code-link": "https://a.example", "gpu-hours": "150", "licence": "MIT"},
    )
    field_answers_save(submission=second, user=author, answers={"gpu-hours": "100"})
    assert search(workshop, "field:code-link:yes") == [first.number]
    assert search(workshop, "field:code-link:no") == [second.number, third.number]
    assert search(workshop, "field:gpu-hours:>100") == [first.number]
    assert search(workshop, "field:gpu-hours:>=100") == [first.number, second.number]
    assert search(workshop, "field:gpu-hours:!=100") == [first.number]
    assert search(workshop, "field:licence:mit") == [first.number]
    assert search(workshop, "-field:gpu-hours:<120") == [first.number, third.number]
    for bad, words in [
        ("field:nope:yes", "not the code"),
        ("field:gpu-hours:lots", "not a number"),
        ("field:gpu-hours", "needs a field code"),
    ]:
        with pytest.raises(SearchError, match=words):
            search(workshop, bad)


def test_the_form_keeps_everything_when_a_required_answer_is_missing(
    client, workshop, author, fields
):
    client.force_login(author)
    evaluation = workshop.topics.get(name="Evaluation")
    full = workshop.submission_types.get(name="Full paper")
    data = {
        "title": "Judging with open models", "abstract": "We judge.", "submission_type": full.pk,
        "primary_topic": evaluation.pk, "llm_use": "none", "cf-gpu-hours": "250",
    }  # fmt: skip
    response = client.post(reverse("submissions:new", args=[workshop.slug]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“Link to code” is required." in page
    assert 'value="Judging with open models"' in page and 'value="250"' in page
    assert not Submission.objects.filter(workshop=workshop).exists()
    data["cf-code-link"] = "https://github.com/a/b"
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("submissions:new", args=[workshop.slug]), data)
    assert response.status_code == 302
    paper = Submission.objects.get(workshop=workshop)
    assert {c: v.display for c, v in values(paper).items()} == {
        "code-link": "https://github.com/a/b", "gpu-hours": "250"}  # fmt: skip
    page = client.get(reverse("submissions:detail", args=[paper.pk])).content.decode()
    assert "Link to code" in page and "https://github.com/a/b" in page


def test_a_chair_defines_fields_in_the_admin(client, workshop, fields):
    chair = make_chair(workshop, is_staff=True)
    client.force_login(chair)
    url = reverse("admin:submissions_submissionfield_add")
    base = {"workshop": workshop.pk, "label": "Licence of the model", "code": "model-licence",
            "editable_until": "paper_deadline", "visibility": "public", "order": 3}  # fmt: skip
    response = client.post(url, {**base, "kind": "radio", "choices": ""})
    assert response.status_code == 200 and "List the choices" in response.content.decode()
    response = client.post(url, {**base, "kind": "radio", "choices": "Apache-2.0\nMIT"})
    assert response.status_code == 302
    assert workshop.submission_fields.get(code="model-licence").choice_list == ["Apache-2.0", "MIT"]
    assert Activity.objects.filter(
        workshop=workshop, summary__contains="Licence of the model"
    ).exists()


def test_the_demo_call_asks_the_three_questions_and_its_papers_answer(settings):
    from submissions.demo import PAPERS, seed_submissions
    from submissions.demo_fields import seed_fields
    from workshop.demo import MAIN, seed_workshop

    main, _ = seed_workshop(MAIN)
    seed_submissions(main, PAPERS[:3])
    assert "custom questions" in seed_fields()
    seed_fields()  # again: nothing added twice
    codes = list(main.submission_fields.values_list("code", flat=True))
    assert codes == ["code-weights", "model-licence", "model-licence-other", "llm-writing",
                     "llm-writing-details", "gpu-hours"]  # fmt: skip
    for paper in main.submissions.all():
        answered = set(paper.field_values.values_list("field__code", flat=True))
        assert {"code-weights", "model-licence", "llm-writing"} <= answered
    found = search(main, "field:gpu-hours:>100")
    assert (
        found
        == sorted(
            p.number
            for p in main.submissions.all()
            if p.field_values.filter(number__gt=100).exists()
        )
        and found
    )


def test_public_answers_show_on_the_accepted_papers_page_and_no_other(
    client, paper, author, workshop, fields
):
    fields["licence"].visibility = "public"
    fields["licence"].save()
    answers = {"licence": "MIT", "code-link": "https://hidden.example/x"}
    field_answers_save(submission=paper, user=author, answers=answers)
    Submission.objects.filter(pk=paper.pk).update(status=SubmissionStatus.ACCEPTED)
    workshop.decisions_released = True
    workshop.save()
    page = client.get(reverse("submissions:accepted", args=[workshop.slug])).content.decode()
    assert "Licence" in page and "MIT" in page
    assert "hidden.example" not in page and "Link to code" not in page
