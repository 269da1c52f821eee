"""The header's "Sign in" returns to the page it was clicked on (issue 24): the link carries
`?next=<the current path>`, allauth follows it after signing in, and a `next` that leaves the
site is ignored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")


def test_the_sign_in_link_carries_the_current_page():
    from django.test import Client

    workshop = WorkshopFactory(slug="flow-ws")
    page = reverse("workshop:detail", args=[workshop.slug])
    html = Client().get(f"{page}?tab=dates&x=1").content.decode()
    assert f'href="{LOGIN_URL}?next={page}%3Ftab%3Ddates%26x%3D1">Sign in</a>' in html
    # Home needs no `next` (allauth lands there anyway); the sign-in page does not point at itself.
    assert f'href="{LOGIN_URL}">Sign in</a>' in Client().get("/").content.decode()
    assert "?next=" not in Client().get(LOGIN_URL).content.decode().split("</nav>")[0]


def test_signing_in_from_a_page_returns_to_it(client):
    user = UserFactory()
    workshop = WorkshopFactory(slug="flow-back")
    page = reverse("workshop:detail", args=[workshop.slug])
    form = client.get(f"{LOGIN_URL}?next={page}")
    assert f'name="next" value="{page}"' in form.content.decode()
    response = client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD, "next": page})
    assert response.status_code == 302
    assert response["Location"] == page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_a_next_that_leaves_the_site_is_ignored(client, target):
    user = UserFactory()
    response = client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
