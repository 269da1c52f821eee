"""Changelist input only a forged request sends answers a message or no rows, never a 500
(issue 30, found by the form fuzzer, tests/fuzz): an action on ids that are not ids, on the
admin's own user list and on allauth's address list too, and a search longer than anything
stored (SQLite refuses a LIKE pattern over 50,000 bytes)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from workshop.models import User

pytestmark = pytest.mark.django_db
LONG = "A" * 100_000


@pytest.fixture
def root_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("url", ["/admin/workshop/user/", "/admin/account/emailaddress/"])
@pytest.mark.parametrize("forged", ["abc", "1.5", "nan"])
def test_an_action_on_ids_that_are_not_ids_is_a_message(root_client, url, forged):
    victim = UserFactory()
    response = root_client.post(
        url, {"action": "delete_selected", "_selected_action": [forged, str(victim.pk)]}
    )
    assert response.status_code == 302
    assert User.objects.filter(pk=victim.pk).exists()
    assert EmailAddress.objects.filter(user=victim).exists()


@pytest.mark.parametrize(
    "url",
    ["/admin/workshop/workshop/", "/admin/workshop/topic/", "/admin/workshop/user/",
     "/admin/account/emailaddress/"],
)  # fmt: skip
def test_a_search_longer_than_anything_stored_finds_nothing(root_client, url):
    TopicFactory()
    response = root_client.get(url, {"q": LONG})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_a_chair_searching_a_long_term_finds_nothing():
    workshop = WorkshopFactory()
    TopicFactory(workshop=workshop, name="A" * 20)
    client = Client()
    client.force_login(make_chair(workshop))
    response = client.get("/admin/workshop/topic/", {"q": LONG})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get("/admin/workshop/topic/", {"q": "A" * 20}).context["cl"].result_count == 1


@pytest.mark.parametrize(
    "url", ["/admin/reviews/reviewerprofile/add/", "/admin/submissions/submission/add/"]
)
def test_no_add_form_for_rows_whose_required_fields_are_read_only(root_client, url):
    """The add form could never save (the person or the paper number is read-only there):
    a superuser's add answered 500 (NOT NULL) instead of being offered at all."""
    assert root_client.get(url).status_code == 403
    assert root_client.post(url, {"_save": "Save"}).status_code == 403


def test_superusers_still_add_workshops(root_client):
    assert root_client.get("/admin/workshop/workshop/add/").status_code == 200


def test_an_emptied_json_list_is_saved_as_an_empty_list(root_client):
    """A review question's choices emptied in the change form are [], not NULL (a 500)."""
    from reviews.models import QuestionKind, ReviewQuestion

    question = ReviewQuestion.objects.create(
        workshop=WorkshopFactory(), label="Notes", kind=QuestionKind.TEXT, order=1
    )
    url = f"/admin/reviews/reviewquestion/{question.pk}/change/"
    form = root_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["choices"] = ""
    response = root_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    question.refresh_from_db()
    assert question.choices == []
