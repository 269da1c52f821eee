"""LLM use declared per review (issue 26, item 2): the workshop's policy, the required answer
on the review form and through the API, and who reads the answers (the chairs, on the
desk, in its CSV and on the paper's page; the writer in their own form; nobody else).

Runs on the reviewing world of tests/reviews/conftest.py: paper P with Reviewer A = R1
(submitted before any policy), B = R2 (a draft) and C = R3 (not started).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import LlmUse, Review, ReviewStatus
from reviews.services.reviewing import review_save_draft, review_submit
from tests.workshop.admin_world import form_data
from transfer.archive import archive_rows
from workshop.errors import ServiceError
from workshop.models import Activity, ReviewLlmPolicy, Workshop

from .conftest import World

pytestmark = pytest.mark.django_db

QUESTION = "Did you use an LLM for this review?"
STATEMENT = "ZQLLMSTATEMENT: asked a local model to tighten the wording of my summary."


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def set_policy(world: World, policy: str) -> None:
    Workshop.objects.filter(pk=world.workshop.pk).update(review_llm_policy=policy)
    world.workshop.refresh_from_db()


def url(world: World, name: str) -> str:
    return reverse(f"reviews:{name}", args=[world.workshop.slug, world.p.number])


def page_of(client, world: World, role: str) -> str:
    client.force_login(world.users[role])
    response = client.get(url(world, "paper"))
    assert response.status_code == 200
    return response.content.decode()


def submit_in_browser(client, world: World, role: str, **llm: str):
    """POST the review form as the page sends it (with the LLM question when it asks it)."""
    client.force_login(world.users[role])
    data = world.post_data()
    data.update(llm)
    response = client.post(url(world, "submit"), data)
    assert response.status_code == 302
    page = client.get(response["Location"])
    messages = [str(m) for m in page.context["messages"]]
    client.last_page = page.content.decode()  # the page the refusal or thanks is shown on
    return Review.objects.filter(assignment=world.assignments[role]).first(), messages


def api_put(client, world: World, role: str, body: dict):
    client.force_login(world.users[role])
    return client.put(
        reverse("api:review", args=[world.assignments[role].pk]),
        data=json.dumps(body),
        content_type="application/json",
    )


def api_body(world: World, **llm: object) -> dict:
    return {"submit": True, "answers": {str(k): v for k, v in world.full_answers().items()},
            **llm}  # fmt: skip


# --- The policy: a workshop setting ----------------------------------------------------------


def test_the_chairs_set_the_policy_on_the_settings_page_and_through_the_api(client, world):
    client.force_login(world.users["chair-A"])
    change = reverse("admin:workshop_workshop_change", args=[world.workshop.pk])
    page = client.get(change)
    assert "LLM use in reviewing" in page.content.decode()
    data = form_data(page)
    assert data["review_llm_policy"] == ReviewLlmPolicy.NONE  # existing workshops: unchanged
    data["review_llm_policy"] = ReviewLlmPolicy.LANGUAGE_ONLY
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.workshop.refresh_from_db()
    assert world.workshop.review_llm_policy == ReviewLlmPolicy.LANGUAGE_ONLY
    entry = Activity.objects.filter(action="workshop.configure").latest("at")
    assert entry.after == {"review_llm_policy": ReviewLlmPolicy.LANGUAGE_ONLY}
    api = reverse("api:workshop", args=[world.workshop.slug])
    patched = client.patch(api, data=json.dumps({"review_llm_policy": "with_statement"}),
                           content_type="application/json")  # fmt: skip
    assert patched.status_code == 200, patched.content
    world.workshop.refresh_from_db()
    assert world.workshop.review_llm_policy == ReviewLlmPolicy.WITH_STATEMENT
    bad = client.patch(api, data=json.dumps({"review_llm_policy": "sometimes"}),
                       content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    # The committee reads the policy; a reviewer cannot change it.
    client.force_login(world.users["R1-submitted"])
    assert client.get(api).json()["review_llm_policy"] == "with_statement"
    refused = client.patch(api, data=json.dumps({"review_llm_policy": "none"}),
                           content_type="application/json")  # fmt: skip
    assert refused.status_code in (403, 404)
    world.workshop.refresh_from_db()
    assert world.workshop.review_llm_policy == ReviewLlmPolicy.WITH_STATEMENT


# --- No policy: nothing asked, nothing changes ---------------------------------------------


def test_without_a_policy_no_question_is_asked_and_a_review_submits_as_before(client, world):
    assert world.workshop.review_llm_policy == ReviewLlmPolicy.NONE
    html = page_of(client, world, "R3-not-started")
    assert QUESTION not in html and 'name="llm_use"' not in html
    review, messages = submit_in_browser(client, world, "R3-not-started")
    assert review.status == ReviewStatus.SUBMITTED, messages
    assert (review.llm_use, review.llm_statement) == ("", "")
    # An API client that sends an answer anyway changes nothing: no question was asked.
    answer = api_put(client, world, "R2-draft", api_body(world, llm_use="yes"))
    assert answer.status_code == 200, answer.content
    assert Review.objects.get(assignment=world.assignments["R2-draft"]).llm_use == ""


# --- A policy: the form asks, the server requires -------------------------------------------


def test_the_form_shows_the_policy_in_words_and_only_the_answers_it_accepts(client, world):
    set_policy(world, ReviewLlmPolicy.LANGUAGE_ONLY)
    html = page_of(client, world, "R3-not-started")
    assert QUESTION in html and "only to edit the language" in html
    assert 'value="no"' in html and 'value="language"' in html
    assert 'name="llm_use" value="yes"' not in html
    assert 'name="llm_statement"' not in html  # no statement asked under this policy
    set_policy(world, ReviewLlmPolicy.WITH_STATEMENT)
    html = page_of(client, world, "R3-not-started")
    assert 'name="llm_use" value="yes"' in html and 'name="llm_statement"' in html
    set_policy(world, ReviewLlmPolicy.NOT_ALLOWED)
    html = page_of(client, world, "R3-not-started")
    assert "does not allow language models" in html
    assert 'value="no"' in html and 'value="language"' not in html


def test_a_browser_submit_without_the_declaration_is_refused_and_keeps_the_text(client, world):
    set_policy(world, ReviewLlmPolicy.WITH_STATEMENT)
    review, messages = submit_in_browser(client, world, "R3-not-started", llm_asked="1")
    assert review is None or review.status == ReviewStatus.DRAFT
    assert any(f"Please answer: {QUESTION}" in m for m in messages), messages
    # What was typed comes back with the message, the answer still to give.
    assert "A clear summary." in client.last_page
    assert 'name="llm_use" value="yes" checked' not in client.last_page
    review, messages = submit_in_browser(
        client, world, "R3-not-started", llm_asked="1", llm_use="yes", llm_statement=""
    )
    assert any("Please say how you used a language model" in m for m in messages), messages
    assert 'name="llm_use" value="yes" checked' in client.last_page  # the answer is kept
    review, messages = submit_in_browser(
        client, world, "R3-not-started", llm_asked="1", llm_use="no"
    )
    assert review.status == ReviewStatus.SUBMITTED, messages
    assert review.llm_use == LlmUse.NO


def test_a_page_without_the_question_cannot_submit_past_a_policy(client, world):
    """An editor loaded before the chairs set the policy posts no `llm_asked`: the stored
    (empty) answer counts, and the submit is refused."""
    set_policy(world, ReviewLlmPolicy.LANGUAGE_ONLY)
    review, messages = submit_in_browser(client, world, "R3-not-started")
    assert review is None or review.status == ReviewStatus.DRAFT
    assert any(QUESTION in m for m in messages), messages


def test_not_allowed_refuses_any_use_with_a_clear_message(world):
    set_policy(world, ReviewLlmPolicy.NOT_ALLOWED)
    a, user = world.assignments["R3-not-started"], world.users["R3-not-started"]
    for use in (LlmUse.LANGUAGE, LlmUse.YES):
        with pytest.raises(ServiceError, match="does not allow language models in reviewing"):
            review_submit(assignment=a, user=user, answers=world.full_answers(), llm_use=use)
    assert not Review.objects.filter(assignment=a, status=ReviewStatus.SUBMITTED).exists()
    review = review_submit(assignment=a, user=user, answers=world.full_answers(), llm_use="no")
    assert review.status == ReviewStatus.SUBMITTED and review.llm_use == LlmUse.NO


def test_language_only_refuses_use_beyond_language_editing(world):
    set_policy(world, ReviewLlmPolicy.LANGUAGE_ONLY)
    a, user = world.assignments["R3-not-started"], world.users["R3-not-started"]
    with pytest.raises(ServiceError, match="for language editing only"):
        review_submit(assignment=a, user=user, answers=world.full_answers(), llm_use="yes")
    review = review_submit(
        assignment=a, user=user, answers=world.full_answers(), llm_use="language"
    )
    assert review.llm_use == LlmUse.LANGUAGE


def test_with_statement_requires_a_statement_for_a_yes(world):
    set_policy(world, ReviewLlmPolicy.WITH_STATEMENT)
    a, user = world.assignments["R3-not-started"], world.users["R3-not-started"]
    with pytest.raises(ServiceError, match="Please say how you used a language model"):
        review_submit(assignment=a, user=user, answers=world.full_answers(), llm_use="yes",
                      llm_statement="   ")  # fmt: skip
    review = review_submit(assignment=a, user=user, answers=world.full_answers(),
                           llm_use="yes", llm_statement=STATEMENT)  # fmt: skip
    assert (review.llm_use, review.llm_statement) == (LlmUse.YES, STATEMENT)
    # An update that leaves the declaration out keeps it; an unknown answer is refused.
    review = review_submit(assignment=a, user=user, answers=world.full_answers(Overall=2))
    assert (review.llm_use, review.version) == (LlmUse.YES, 2)
    with pytest.raises(ServiceError, match="answer one of"):
        review_submit(assignment=a, user=user, answers=world.full_answers(), llm_use="maybe")


def test_a_draft_keeps_the_declaration_as_typed_and_the_submit_checks_it(world):
    """Autosave never loses what was typed (not even an answer the policy refuses); only
    the submit refuses, and a draft may lack the declaration altogether."""
    set_policy(world, ReviewLlmPolicy.LANGUAGE_ONLY)
    a, user = world.assignments["R2-draft"], world.users["R2-draft"]
    before = Review.objects.get(assignment=a).revision
    draft = review_save_draft(assignment=a, user=user, answers={}, llm_use="yes")
    assert (draft.llm_use, draft.revision) == (LlmUse.YES, before + 1)
    again = review_save_draft(assignment=a, user=user, answers={}, llm_use="yes")
    assert again.revision == before + 1  # nothing changed, nothing saved
    with pytest.raises(ServiceError, match="for language editing only"):
        review_submit(assignment=a, user=user, answers=world.full_answers())
    assert review_submit(assignment=a, user=user, answers=world.full_answers(),
                         llm_use="no").status == ReviewStatus.SUBMITTED  # fmt: skip


def test_the_autosave_endpoint_stores_the_declaration(client, world):
    set_policy(world, ReviewLlmPolicy.WITH_STATEMENT)
    client.force_login(world.users["R2-draft"])
    response = client.post(
        url(world, "autosave"),
        {"llm_asked": "1", "llm_use": "yes", "llm_statement": STATEMENT},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    review = Review.objects.get(assignment=world.assignments["R2-draft"])
    assert (review.llm_use, review.llm_statement) == ("yes", STATEMENT)
    html = page_of(client, world, "R2-draft")  # the writer sees their own answer again
    assert 'value="yes" checked' in html and STATEMENT in html


def test_the_api_submit_requires_the_declaration_under_a_policy(client, world):
    set_policy(world, ReviewLlmPolicy.NOT_ALLOWED)
    missing = api_put(client, world, "R3-not-started", api_body(world))
    assert missing.status_code == 400 and QUESTION in missing.json()["error"]["message"]
    refused = api_put(client, world, "R3-not-started", api_body(world, llm_use="language"))
    assert refused.status_code == 400
    assert "does not allow" in refused.json()["error"]["message"]
    done = api_put(client, world, "R3-not-started", api_body(world, llm_use="no"))
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "submitted" and done.json()["llm_use"] == "no"


# --- Who reads the answers -------------------------------------------------------------------


@pytest.fixture
def declared(world: World) -> World:
    """Reviewer C of P declared a use beyond language editing, with a statement."""
    set_policy(world, ReviewLlmPolicy.WITH_STATEMENT)
    review_submit(assignment=world.assignments["R3-not-started"],
                  user=world.users["R3-not-started"], answers=world.full_answers(),
                  llm_use="yes", llm_statement=STATEMENT)  # fmt: skip
    return world


def test_the_chairs_read_the_answers_on_the_paper_and_the_desk(client, declared):
    world = declared
    html = page_of(client, world, "chair-A")
    assert "LLM use declared: <strong>Yes, beyond language editing</strong>" in html
    assert STATEMENT in html
    # Reviewer A submitted before the workshop asked: said so, not hidden.
    assert "not declared" in html
    client.force_login(world.users["chair-A"])
    desk = client.get(
        reverse("admin:reviews_decisionboard_changelist") + f"?workshop={world.workshop.pk}"
    )
    assert desk.status_code == 200
    body = desk.content.decode()
    assert "LLM use" in body
    assert 'A not declared · C <strong class="desk-missing">yes</strong> (statement)' in body
    reviews = client.get(reverse("admin:reviews_review_changelist") + "?llm_use__exact=yes")
    assert reviews.status_code == 200
    assert list(reviews.context["cl"].result_list) == [world.review_of("R3-not-started")]
    assert "Yes, beyond language editing" in reviews.content.decode()


def test_the_desk_csv_carries_the_answers_and_the_statements(client, declared):
    world = declared
    client.force_login(world.users["chair-A"])
    response = client.get(
        reverse("admin:reviews_decisions_export") + f"?workshop={world.workshop.pk}"
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    row = next(r for r in rows if r["number"] == str(world.p.number))
    assert row["LLM use declared"] == "A: not declared; C: Yes, beyond language editing"
    assert row["LLM use statements"] == f"C: {STATEMENT}"


@pytest.mark.parametrize("role", ["R1-submitted", "AC-of-P"])
def test_other_reviewers_and_the_area_chair_do_not_see_the_declaration(client, declared, role):
    world = declared
    html = page_of(client, world, role)
    assert STATEMENT not in html and "LLM use declared" not in html
    client.force_login(world.users[role])
    api = client.get(reverse("api:review", args=[world.assignments["R3-not-started"].pk]))
    assert api.status_code == 200, api.content
    assert "llm_use" not in api.json() and STATEMENT not in api.content.decode()
    listing = client.get(reverse("api:reviews", args=[world.workshop.slug]))
    assert listing.status_code == 200 and STATEMENT not in listing.content.decode()
    reviews = listing.json()["results"]
    assert [r["reviewer"] for r in reviews if "llm_use" in r] == (
        ["Reviewer A"] if role == "R1-submitted" else []  # one's own answer, nobody else's
    )
    assert "Reviewer C" in [r["reviewer"] for r in reviews]


def test_authors_never_see_the_declaration_even_after_release(client, declared):
    world = declared
    Workshop.objects.filter(pk=world.workshop.pk).update(reviews_released=True)
    client.force_login(world.users["author-P"])
    released = client.get(reverse("author_reviews", args=[world.p.pk]))
    assert released.status_code == 200
    text = released.content.decode()
    assert "A clear summary." in text  # the released reviews are there
    assert STATEMENT not in text and "LLM use" not in text and QUESTION not in text


def test_the_desk_reads_the_declarations_in_one_query_however_many(client, declared):
    """One query for the page's declarations: a second declared review adds none."""
    world = declared
    client.force_login(world.users["chair-A"])
    desk = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={world.workshop.pk}"
    client.get(desk)  # warm-up (session, categories)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(desk).status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    review_submit(assignment=world.assignments["R2-draft"], user=world.users["R2-draft"],
                  answers=world.full_answers(), llm_use="no")  # fmt: skip
    assert queries() == one
    Workshop.objects.filter(pk=world.workshop.pk).update(review_llm_policy="none")
    assert queries() == one - 1  # no policy, no question, no query


def test_the_archive_carries_the_policy_and_the_declarations(declared):
    rows = archive_rows(declared.workshop)
    assert rows["workshop.Workshop"][0]["review_llm_policy"] == "with_statement"
    carried = [(r["llm_use"], r["llm_statement"]) for r in rows["reviews.Review"]]
    assert ("yes", STATEMENT) in carried
