"""A mistyped URL answers the site's own 404 page even with DEBUG on (issue 24): the demo may
run with DJANGO_DEBUG=True, and Django's technical 404 page lists every URL pattern."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

from .site_pages import assert_site_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page/",  # matches no pattern
        "/submissions/no-such-page/",
        "/w/no-such-workshop/",  # a view raises Http404
        "/programme/no-such-workshop/",
        "/admin/no-such-thing/",  # the admin's own catch-all raises Http404
    ],
)
def test_a_mistyped_url_answers_the_sites_own_404_with_debug_on(debug_on, path):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert_site_page(html, title="Not found")
    assert "URLconf" not in html and "urlpatterns" not in html


def test_a_missing_slash_is_still_redirected_with_debug_on(debug_on):
    response = Client().get("/accounts/login")
    assert response.status_code == 301
    assert response["Location"] == "/accounts/login/"


def test_the_api_keeps_its_json_404_with_debug_on(debug_on):
    response = Client().get("/api/no-such-resource/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
