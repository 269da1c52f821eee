"""axe-core on the pages a visitor sees before signing in (the `page` fixture revisits every
page a test visited and runs axe there; this test visits the anonymous ones, which the other
browser tests leave signed in and so would only see as redirects)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import TopicFactory, WorkshopFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC = (
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
)


def test_the_anonymous_pages_pass_axe(live_server, page):
    workshop = WorkshopFactory(short_name="A11Y 2027")
    TopicFactory(workshop=workshop, name="Evaluation")
    for path in PUBLIC:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        expect(page.get_by_role("main")).to_be_visible()
    page.goto(f"{live_server.url}/submissions/accepted/{workshop.slug}/")
    # The visits are checked by the fixture at teardown, still signed out.
