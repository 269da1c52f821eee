"""Every response carries the headers of a trusted site (issue 13).

Content-Security-Policy (django-csp: no inline script or style, no eval), Referrer-Policy,
Permissions-Policy, Cross-Origin-Opener-Policy, nosniff; for pages, errors, static files and
the admin alike. The browser side (an injected inline script is blocked) is in
tests/e2e/test_csp.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_trusted(response) -> None:
    csp = directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["object-src"] == ["'self'"]
    assert not any("unsafe" in w for words in csp.values() for w in words)
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "url, status",
    [
        ("/", 200),
        ("/accounts/login/", 200),
        ("/accounts/signup/", 200),
        ("/no-such-page/", 404),
        ("/submissions/", 302),
        ("/admin/login/", 200),
        ("/healthz", 200),
    ],
)
def test_every_response_carries_the_headers(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert_trusted(response)


def test_signed_in_pages_and_the_admin_carry_the_headers():
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    for url in ("/submissions/", "/accounts/profile/", "/admin/", "/accounts/email/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_trusted(response)


def test_a_429_carries_the_headers_and_retry_after(client):
    for _ in range(6):
        response = client.post("/accounts/password/reset/", {"email": "x@example.org"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert_trusted(response)
