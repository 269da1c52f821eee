"""The chairs' admin pages under the strict CSP (issue 24): on the demo, the workshop settings
page and the outbox (its list and a mail) raise no console error and no Content-Security-Policy
violation (the admin's own inline styles were blocked there, two errors each)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from workshop.demo import DEMO_PASSWORD, IN_REVIEW
from workshop.models import OutgoingMail, Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHAIR_EMAIL = "chair@example.org"


class _Null:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass


def test_settings_and_outbox_pages_have_no_console_error(live_server, browser):
    """Its own browser context: axe on these pages is test_chair_pages_phone's subject."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        _visit_settings_and_outbox(live_server, context.new_page())
    finally:
        context.close()


def _visit_settings_and_outbox(live_server, page) -> None:
    call_command("seed_demo", stdout=_Null())
    workshop = Workshop.objects.get(slug=IN_REVIEW.slug)
    mail = OutgoingMail.objects.filter(workshop=workshop).order_by("pk").first()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.add_init_script(
        """window.__violations = [];
        document.addEventListener("securitypolicyviolation",
          (e) => window.__violations.push(`${e.violatedDirective} ${e.sample || e.blockedURI}`));"""
    )
    base = live_server.url
    page.goto(f"{base}/accounts/login/?next=/admin/")
    main = page.get_by_role("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(CHAIR_EMAIL)
    main.get_by_label(re.compile("^Password", re.I)).fill(DEMO_PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(f"{base}/admin/")
    pages = {
        "settings": f"/admin/workshop/workshop/{workshop.pk}/change/",
        "outbox": f"/admin/workshop/outgoingmail/?workshop__id__exact={workshop.pk}",
        "a mail": f"/admin/workshop/outgoingmail/{mail.pk}/change/",
    }
    found = {}

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        found[name] = (list(errors), page.evaluate("() => window.__violations"))
        errors.clear()

    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            errors.clear()
            response = page.goto(f"{base}{path}")
            assert response.status == 200, (name, response.status)
            check(f"{name} at {width} px")
    # Saved as it is (the page comes back with its message), and a held mail released.
    page.goto(f"{base}{pages['settings']}")
    page.get_by_role("button", name="Save and continue editing").click()
    check("settings saved")
    page.goto(f"{base}{pages['outbox']}")
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("release_held")
    page.locator("button[name=index]").first.click()
    check("outbox action run")
    assert found == {name: ([], []) for name in found}, found
