"""The sign-in lockout is per (account, address), and answers 429 with Retry-After.

Ten bad passwords for one account from one address lock out that account from that address
only: another account behind the same address (a conference's shared network) still signs
in, and so does the same account from another address. The eleventh try is a 429.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def login(client: Client, email: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN_URL, {"login": email, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return client.session.get(SESSION_KEY) is not None


def test_ten_bad_passwords_lock_one_account_from_one_address_only():
    victim, colleague = UserFactory(), UserFactory()
    attacker = Client()
    for n in range(10):
        response = login(attacker, victim.email, "not-the-password")
        assert response.status_code == 200, n
        assert "are not correct" in response.content.decode()

    eleventh = login(attacker, victim.email, PASSWORD)
    assert eleventh.status_code == 429
    assert 1 <= int(eleventh["Retry-After"]) <= 5 * 60
    assert "Too many attempts" in eleventh.content.decode()
    assert not signed_in(attacker)

    # Same address, another account: not locked out.
    neighbour = Client()
    assert login(neighbour, colleague.email, PASSWORD).status_code == 302
    assert signed_in(neighbour)

    # Same account, another address: not locked out either.
    elsewhere = Client()
    assert login(elsewhere, victim.email, PASSWORD, ip="198.51.100.9").status_code == 302
    assert signed_in(elsewhere)


def test_failures_over_many_accounts_from_one_address_lock_nobody_else():
    """The old per-address lockout (10/m/ip) locked the whole network after ten failures."""
    real = UserFactory()
    client = Client()
    for n in range(12):
        assert login(client, f"guess{n}@example.org", "not-the-password").status_code == 200
    assert login(client, real.email, PASSWORD).status_code == 302
