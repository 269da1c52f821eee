"""Accounts through django-allauth: sign-up with mandatory verification, login by email,
password reset and enumeration prevention, email management, rate limits, the profile page
and the site layout around allauth's pages.

Allauth's mails go through the outbox (`workshop.adapters.AccountAdapter`): a row in
`OutgoingMail`, delivered by a Celery task enqueued *after commit*. These tests run inside
one transaction, so every request that sends mail is wrapped in
`django_capture_on_commit_callbacks(execute=True)` (see the `send` fixture); the eager task
then delivers to the locmem backend and the row ends up `sent`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import SESSION_KEY
from django.contrib.staticfiles import finders
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from workshop.models import MailStatus, OutgoingMail, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern-quietly-orbit-73"
SIGNUP_URL = "/accounts/signup/"
LOGIN_URL = "/accounts/login/"
RESET_URL = "/accounts/password/reset/"
VERIFICATION_SENT_URL = "/accounts/confirm-email/"
LINK_RE = re.compile(r"https?://[^\s\"'<>]+")
CSRF_RE = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def send(django_capture_on_commit_callbacks) -> Callable:
    """Run a client call and then its on-commit callbacks (the outbox delivery task)."""

    def run(call: Callable, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def mails(kind: str, to: str) -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(kind=kind, to=to).order_by("pk"))


def the_mail(kind: str, to: str) -> OutgoingMail:
    """Exactly one outbox row of `kind` for `to`, delivered, and also in `mail.outbox`."""
    rows = mails(kind, to)
    assert len(rows) == 1, f"expected one {kind} mail to {to}, got {len(rows)}"
    row = rows[0]
    assert row.status == MailStatus.SENT, (row.status, row.last_error)
    assert row.sent_at is not None
    delivered = [m for m in mail.outbox if m.to == [to] and m.subject == row.subject]
    assert len(delivered) == 1, [(m.to, m.subject) for m in mail.outbox]
    assert delivered[0].body == row.body_text
    return row


def link_in(row: OutgoingMail, path_prefix: str) -> str:
    """The path (and query) of the one link in the mail body under `path_prefix`."""
    paths = {
        urlsplit(url)._replace(scheme="", netloc="").geturl()
        for url in LINK_RE.findall(row.body_text)
    }
    found = [p for p in paths if p.startswith(path_prefix)]
    assert len(found) == 1, f"no single {path_prefix} link in {row.body_text!r}"
    return found[0]


def page_text(content: bytes) -> str:
    """HTML with the per-request CSRF tokens blanked, so two responses can be compared."""
    return CSRF_RE.sub(r'\1-"', content.decode())


def login(client: Client, email: str, password: str):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def signup_data(email: str, **overrides: str) -> dict[str, str]:
    return {
        "email": email,
        "name": "Ada Lovelace",
        "affiliation": "Analytical Engines Ltd",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


# --- sign-up and verification ----------------------------------------------------------------


def test_signup_requires_verification_then_confirmation_signs_in(client, send):
    email = "ada@engines.example.org"
    response = send(client.post, SIGNUP_URL, signup_data(email))

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION_SENT_URL
    assert signed_in_user_id(client) is None
    user = User.objects.get(email=email)
    assert user.name == "Ada Lovelace"
    assert user.affiliation == "Analytical Engines Ltd"
    assert user.check_password(NEW_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (email, False, True)

    # The confirmation mail went through the outbox and was delivered.
    confirmation = the_mail("account/email_confirmation_signup", email)
    assert confirmation.recipient == user
    link = link_in(confirmation, "/accounts/confirm-email/")

    # Not verified yet: the right password does not sign in.
    response = send(login, client, email, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == VERIFICATION_SENT_URL
    assert signed_in_user_id(client) is None
    # ... and allauth's confirm_email limit (1/3m/key) kept it from mailing again.
    assert len(mails("account/email_confirmation_signup", email)) == 1

    # GET only shows a confirmation form (ACCOUNT_CONFIRM_EMAIL_ON_GET is False) ...
    response = client.get(link)
    assert response.status_code == 200
    assert email in response.content.decode()
    address.refresh_from_db()
    assert not address.verified
    assert signed_in_user_id(client) is None

    # ... POST confirms and signs in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION).
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    address.refresh_from_db()
    assert address.verified
    assert signed_in_user_id(client) == user.pk

    home = client.get("/").content.decode()
    assert "Ada</summary>" in home
    assert "Sign out" in home


def test_signup_rejects_mismatched_passwords_and_missing_name(client, send):
    response = send(
        client.post,
        SIGNUP_URL,
        signup_data("bob@example.org", name="", password2="something-else-entirely"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" in form.errors
    assert "password2" in form.errors
    assert not User.objects.filter(email="bob@example.org").exists()
    assert not OutgoingMail.objects.exists()


def test_signup_with_existing_email_looks_like_fresh_signup(send):
    existing = UserFactory(email="taken@example.org", name="Original Owner")
    fresh_client, taken_client = Client(), Client()

    fresh = send(fresh_client.post, SIGNUP_URL, signup_data("fresh@example.org"))
    taken = send(taken_client.post, SIGNUP_URL, signup_data("Taken@Example.org"))

    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    fresh_page = fresh_client.get(fresh["Location"])
    taken_page = taken_client.get(taken["Location"])
    assert taken_page.status_code == fresh_page.status_code == 200
    assert page_text(taken_page.content).replace("taken@example.org", "EMAIL") == page_text(
        fresh_page.content
    ).replace("fresh@example.org", "EMAIL")
    assert signed_in_user_id(taken_client) is None

    # No second account, the first one untouched; its owner is told by mail instead.
    assert list(User.objects.filter(email__iexact="taken@example.org")) == [existing]
    existing.refresh_from_db()
    assert existing.name == "Original Owner"
    assert existing.check_password(PASSWORD)
    assert not existing.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.filter(email__iexact="taken@example.org").count() == 1
    the_mail("account/account_already_exists", "taken@example.org")
    assert not mails("account/email_confirmation_signup", "taken@example.org")
    the_mail("account/email_confirmation_signup", "fresh@example.org")


# --- login -------------------------------------------------------------------------------------


def test_login_by_email_and_password(client):
    user = UserFactory()
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == user.pk


def test_login_email_is_case_insensitive(client):
    user = UserFactory(email="mixed.case@example.org")
    response = login(client, "Mixed.Case@EXAMPLE.org", PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk


def test_login_with_wrong_password_fails_with_message(client):
    user = UserFactory()
    response = login(client, user.email, "not-the-password")
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )


def test_login_unknown_email_gives_same_error_as_wrong_password(client):
    user = UserFactory()
    wrong = login(client, user.email, "not-the-password")
    unknown = login(Client(), "nobody@example.org", "not-the-password")
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors


def test_logout(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


# --- rate limits -------------------------------------------------------------------------------


def test_failed_logins_for_one_email_are_locked_out(client):
    """login_failed "10/5m/key", keyed by account and address (tests/workshop/test_lockout.py):
    the eleventh try is refused with a 429 even with the right password."""
    user = UserFactory()
    for _ in range(10):
        response = login(client, user.email, "not-the-password")
        assert "are not correct" in response.content.decode()
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"]
    assert signed_in_user_id(client) is None

    # Per key: another person's login from the same address still works.
    other = UserFactory()
    assert login(client, other.email, PASSWORD).status_code == 302
    assert signed_in_user_id(client) == other.pk


def test_password_reset_requests_are_rate_limited_per_email(client, send):
    """reset_password "5/m/key": the sixth request for one address gets a 429."""
    user = UserFactory()
    for _ in range(5):
        response = send(client.post, RESET_URL, {"email": user.email})
        assert response.status_code == 302
    response = send(client.post, RESET_URL, {"email": user.email})
    assert response.status_code == 429
    assert len(mails("account/password_reset_key", user.email)) == 5


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_does_not_reveal_whether_account_exists(send):
    user = UserFactory()
    known_client, unknown_client = Client(), Client()
    known = send(known_client.post, RESET_URL, {"email": user.email})
    unknown = send(unknown_client.post, RESET_URL, {"email": "stranger@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    known_page = known_client.get(known["Location"])
    unknown_page = unknown_client.get(unknown["Location"])
    assert known_page.status_code == unknown_page.status_code == 200
    assert page_text(known_page.content) == page_text(unknown_page.content)

    # Both get a mail; only the known one a reset link (allauth's EMAIL_UNKNOWN_ACCOUNTS).
    reset = the_mail("account/password_reset_key", user.email)
    assert reset.recipient == user
    unknown_mail = the_mail("account/unknown_account", "stranger@example.org")
    assert unknown_mail.recipient is None
    assert "/accounts/password/reset/key/" not in unknown_mail.body_text
    assert "/accounts/signup/" in unknown_mail.body_text
    assert not mails("account/password_reset_key", "stranger@example.org")


def test_password_reset_link_sets_new_password(client, send):
    user = UserFactory()
    send(client.post, RESET_URL, {"email": user.email})
    link = link_in(the_mail("account/password_reset_key", user.email), "/accounts/password/")

    # allauth moves the key into the session and redirects to a key-less URL.
    response = client.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("-set-password/")
    assert user_pk_to_url_str(user) in form_url
    response = client.get(form_url)
    assert response.status_code == 200
    assert "password1" in response.context["form"].fields

    response = send(client.post, form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user_id(client) == user.pk  # ACCOUNT_LOGIN_ON_PASSWORD_RESET
    the_mail("account/password_reset", user.email)  # the "your password changed" notice

    # The link is single-use; old password out, new password in.
    used = Client().get(link)
    assert used.status_code == 200
    assert used.context["token_fail"]
    assert login(Client(), user.email, PASSWORD).status_code == 200
    other = Client()
    assert login(other, user.email, NEW_PASSWORD).status_code == 302
    assert signed_in_user_id(other) == user.pk


# --- password change and email addresses -----------------------------------------------------


def test_password_change_for_signed_in_user(client, send):
    user = UserFactory()
    client.force_login(user)
    url = reverse("account_change_password")

    response = client.post(
        url, {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = send(
        client.post,
        url,
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user_id(client) == user.pk  # ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
    the_mail("account/password_changed", user.email)
    assert login(Client(), user.email, NEW_PASSWORD).status_code == 302


def test_password_change_requires_login(client):
    response = client.get(reverse("account_change_password"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_add_second_email_address_and_verify_it(client, send):
    user = UserFactory()
    client.force_login(user)
    second = "second@lab.example.org"

    response = send(client.post, reverse("account_email"), {"action_add": "", "email": second})
    assert response.status_code == 302
    address = EmailAddress.objects.get(user=user, email=second)
    assert not address.verified
    assert not address.primary
    assert EmailAddress.objects.get(user=user, primary=True).email == user.email
    assert EmailAddress.objects.filter(user=user).count() == 2

    confirmation = the_mail("account/email_confirmation", second)
    response = client.post(link_in(confirmation, "/accounts/confirm-email/"))
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified

    page = client.get(reverse("account_email")).content.decode()
    assert second in page
    assert user.email in page


def test_adding_another_users_email_cannot_take_it_over(client, send):
    """Enumeration prevention lets the address be added (unverified), but it can never be
    verified away from its owner, and logging in with it still reaches the owner."""
    owner = UserFactory()
    intruder = UserFactory()
    client.force_login(intruder)
    response = send(client.post, reverse("account_email"), {"action_add": "", "email": owner.email})
    assert response.status_code == 302

    claimed = EmailAddress.objects.get(user=intruder, email=owner.email)
    assert not claimed.verified
    # The confirmation link goes to the owner's mailbox; even if the owner clicks it ...
    confirmation = the_mail("account/email_confirmation", owner.email)
    assert confirmation.recipient == intruder
    owner_client = Client()
    owner_client.post(link_in(confirmation, "/accounts/confirm-email/"))
    assert signed_in_user_id(owner_client) is None
    claimed.refresh_from_db()
    assert not claimed.verified
    owned = EmailAddress.objects.get(user=owner, email=owner.email)
    assert owned.verified
    assert owned.primary

    other = Client()
    assert login(other, owner.email, PASSWORD).status_code == 302
    assert signed_in_user_id(other) == owner.pk


# --- profile -----------------------------------------------------------------------------------


def test_profile_requires_login(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/accounts/profile/"


def profile_data(**overrides: str) -> dict[str, str]:
    return {
        "name": "Grace Hopper",
        "affiliation": "Yale",
        "orcid": "",
        "dblp_url": "",
        "semantic_scholar_url": "",
        "homepage": "",
        **overrides,
    }


def test_profile_saves_name_affiliation_and_orcid(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/profile/", profile_data(orcid=" 0000-0002-1825-0097 "))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert (user.name, user.affiliation, user.orcid) == (
        "Grace Hopper",
        "Yale",
        "0000-0002-1825-0097",
    )
    page = client.get("/accounts/profile/").content.decode()
    assert "Profile saved." in page
    assert 'value="Grace Hopper"' in page
    assert 'value="0000-0002-1825-0097"' in page


def test_profile_accepts_orcid_url(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/accounts/profile/", profile_data(orcid="https://orcid.org/0000-0002-1825-0097")
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.orcid == "0000-0002-1825-0097"


def test_profile_rejects_malformed_orcid(client):
    user = UserFactory(name="Unchanged Name")
    client.force_login(user)
    response = client.post(
        "/accounts/profile/",
        {"name": "New Name", "affiliation": "", "orcid": "1234-5678"},
    )
    assert response.status_code == 200
    assert "An ORCID iD looks like 0000-0002-1825-0097." in response.content.decode()
    user.refresh_from_db()
    assert user.name == "Unchanged Name"
    assert user.orcid == ""


# --- layout ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [LOGIN_URL, SIGNUP_URL, RESET_URL, reverse("account_reset_password_done")]
)
def test_account_pages_use_site_layout(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="brand" href="/">Call for papers</a>' in html
    assert '<link rel="stylesheet" href="/static/vendor/pico/pico.min.css">' in html
    assert '<article class="account">' in html
    assert finders.find("vendor/pico/pico.min.css")


def test_manage_pages_use_account_sidebar(client):
    client.force_login(UserFactory())
    html = client.get(reverse("account_email")).content.decode()
    assert "Call for papers" in html
    assert '<nav aria-label="Account">' in html
