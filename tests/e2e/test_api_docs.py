"""/api/docs/: Swagger UI from the vendored sidecar files renders the schema under the strict
CSP, with no policy violation in the console."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_without_csp_violations(live_server, browser):
    """Its own browser context: the shared `page` fixture's axe pass would fail on Swagger
    UI's own markup (its operation headers nest a button in a button: axe's
    `nested-interactive`, not ours to change); every other axe rule is checked here."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.add_init_script(
        """window.__violations = [];
        document.addEventListener("securitypolicyviolation",
          (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));"""
    )
    try:
        response = page.goto(f"{live_server.url}/api/docs/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
        text = page.inner_text("#swagger-ui")
        assert "/api/v1/submissions/" in text
        assert "/api/v1/workshops/{slug}/assignments/bulk/" in text
        assert page.evaluate("() => window.__violations") == []
        assert not [m for m in messages if "Content Security Policy" in m], messages
        result = Axe().run(page, options={"rules": {"nested-interactive": {"enabled": False}}})
        serious = [
            f"{v['id']}: {[n.get('target') for n in v.get('nodes', [])][:8]}"
            for v in result.response.get("violations", [])
            if v.get("impact") in ("critical", "serious")
        ]
        assert serious == [], serious
    finally:
        context.close()


def test_a_member_creates_copies_and_revokes_a_token(live_server, page):
    import re

    from playwright.sync_api import expect

    from api.models import ApiToken
    from tests.factories import PASSWORD, UserFactory, WorkshopFactory
    from workshop.models import Membership, Role

    workshop = WorkshopFactory(name="Token Workshop", short_name="TOKW")
    user = UserFactory(email="tokens@uni.example.edu")
    Membership.objects.create(workshop=workshop, user=user, role=Role.REVIEWER)
    page.goto(f"{live_server.url}/accounts/login/?next=/accounts/profile/")
    main = page.locator("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(user.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("button", name="Create a token").click()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_label(re.compile("TOKW|Token Workshop")).check()
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create the token").click()
    secret = page.locator("#token-secret").input_value()
    assert secret.startswith("wsk_")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("main")).to_contain_text("nightly export")
    assert secret not in page.content()
    # On a phone the list scrolls in its own box, never the page (its hidden labels too).
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("() => { window.scrollTo(500, 0); return window.scrollX; }") == 0
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.locator("main")).to_contain_text("revoked")
    assert ApiToken.objects.get(name="nightly export").revoked_at is not None
