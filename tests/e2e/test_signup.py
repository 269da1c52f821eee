"""Sign-up in a real browser: home → Sign up → form → confirmation mail → confirm → signed in."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import expect

from workshop.celery import app as celery_app
from workshop.models import MailStatus, OutgoingMail, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "ada.lovelace@engines.example.org"
PASSWORD = "lantern-quietly-orbit-73"


def test_signup_confirm_and_land_signed_in(live_server, page, artifacts_dir):
    broken: list[str] = []
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")  # the site has none; browsers always ask
            and broken.append(f"{r.status} {r.url}")
        ),
    )
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico")
            and errors.append(m.text)
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server.url)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Call for papers")).to_be_visible()
    # Static files are served by the live server (pytest-django's StaticFilesHandler).
    assert page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--pico-font-family')"
    ).strip(), "Pico CSS did not load"

    # The nav's "Sign up" is a link styled by Pico as a button (role="button").
    nav.get_by_role("button", name="Sign up", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email:", exact=True).fill(EMAIL)
    page.get_by_label("Full name:", exact=True).fill("Ada Lovelace")
    page.get_by_label("Affiliation:", exact=True).fill("Analytical Engines Ltd")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):", exact=True).fill(PASSWORD)
    page.screenshot(path=artifacts_dir / "signup-1-form.png", full_page=True)
    page.get_by_role("main").get_by_role("button", name="Sign Up").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/confirm-email/")
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Confirmation email sent to {EMAIL}")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()  # not signed in yet

    # The live server thread stored the mail and, Celery being eager there too (the
    # configuration is process-wide), delivered it within the request.
    assert celery_app.conf.task_always_eager
    outgoing = OutgoingMail.objects.get(kind="account/email_confirmation_signup", to=EMAIL)
    assert outgoing.status == MailStatus.SENT, outgoing.last_error
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", outgoing.body_text)
    assert match, outgoing.body_text
    link = match.group(0)
    assert link.startswith(live_server.url)

    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    page.screenshot(path=artifacts_dir / "signup-2-confirm.png", full_page=True)
    page.get_by_role("main").get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{live_server.url}/")
    menu = nav.locator("details.dropdown summary")
    expect(menu).to_have_text("Ada")
    menu.click()
    expect(nav.get_by_role("link", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("button", name="Sign up", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)

    user = User.objects.get(email=EMAIL)
    assert (user.name, user.affiliation) == ("Ada Lovelace", "Analytical Engines Ltd")
    assert EmailAddress.objects.get(user=user, email=EMAIL).verified

    page.screenshot(path=artifacts_dir / "signup-3-signed-in.png", full_page=True)
    assert not broken, broken
    assert not errors, errors
