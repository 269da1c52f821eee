"""The strict Content-Security-Policy in a real browser (issue 13): an injected inline
script is blocked and the console says so, while the site's own scripts (static files)
still run."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_injected_inline_script_is_blocked_and_the_console_says_so(live_server, page):
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    response = page.goto(live_server.url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # The site's own script (static/js/site.js) ran: htmx and KaTeX loaded too.
    page.wait_for_function("() => typeof window.workshopMathify === 'function'")
    assert page.evaluate("() => typeof window.htmx") == "object"

    page.evaluate(
        """() => {
          window.__violations = [];
          document.addEventListener("securitypolicyviolation",
            (e) => window.__violations.push(e.violatedDirective));
          const s = document.createElement("script");
          s.textContent = "window.__injected = true;";
          document.body.appendChild(s);
          const d = document.createElement("div");
          d.innerHTML = '<img src="x" onerror="window.__handler = true">';
          document.body.appendChild(d);
        }"""
    )
    page.wait_for_function("() => window.__violations.length >= 1")
    assert page.evaluate("() => window.__injected") is None
    assert page.evaluate("() => window.__handler") is None
    assert any(v.startswith("script-src") for v in page.evaluate("() => window.__violations"))
    page.wait_for_timeout(100)
    assert any("Content Security Policy" in m and "inline script" in m for m in messages), messages
