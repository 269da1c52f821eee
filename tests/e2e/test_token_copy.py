"""The new API token's copy button (issue 24): a labelled button (a static script, no inline
code under the CSP) copies the token to the clipboard and a live region says "Copied"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory, WorkshopFactory
from workshop.models import Membership, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_copy_button_copies_the_token_and_says_so(live_server, page):
    workshop = WorkshopFactory(name="Copy Workshop", short_name="COPYW")
    user = UserFactory(email="copier@uni.example.edu")
    Membership.objects.create(workshop=workshop, user=user, role=Role.REVIEWER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    console: list[str] = []
    page.on("console", lambda m: m.type == "error" and console.append(m.text))
    page.goto(f"{live_server.url}/accounts/login/?next=/accounts/tokens/new/")
    main = page.locator("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(user.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.get_by_label("Name").fill("copy me")
    page.get_by_label(re.compile("COPYW|Copy Workshop")).check()
    page.get_by_role("button", name="Create the token").click()
    secret = page.locator("#token-secret").input_value()
    assert secret.startswith("wsk_")

    copy = page.get_by_role("button", name="Copy the token to the clipboard")
    expect(copy).to_be_visible()
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(page.locator("#token-copied")).to_have_text("Copied")
    expect(page.locator("#token-copied")).to_have_attribute("aria-live", "polite")
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    assert console == []
