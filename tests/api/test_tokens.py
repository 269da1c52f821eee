"""Tokens: scoped to workshops, read-only or read-write, revocable, expiring, hashed;
the error shape; rate limits per token; the browser pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from api.errors import NOT_FOUND_BODY
from api.models import ApiToken
from api.services import token_create, token_revoke
from submissions.models import Submission
from tests.factories import UserFactory
from workshop.errors import ServiceError
from workshop.models import Activity, User, Workshop

from .world import BETA_MARK, auth

pytestmark = pytest.mark.django_db


def test_a_token_of_workshop_a_sees_nothing_of_workshop_b(client, api_world):
    """chair-B's token reaches B only; chair-A's reaches A only: B's paper answers 404 with
    the very body of a missing id, and no list shows B's titles."""
    a_chair = auth(api_world.secrets["chair-A"])
    beta = api_world.beta_paper
    hidden = client.get(reverse("api:submission", args=[beta.pk]), **a_chair)
    missing = client.get(reverse("api:submission", args=[999999]), **a_chair)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == NOT_FOUND_BODY
    for name in ("api:workshop", "api:activity", "api:assignments"):
        response = client.get(reverse(name, args=[beta.workshop.slug]), **a_chair)
        assert response.status_code == 404 and response.json() == NOT_FOUND_BODY, name
    listing = client.get(reverse("api:submissions"), **a_chair)
    assert listing.status_code == 200 and BETA_MARK not in listing.content.decode()
    assert listing.json()["count"] == 3  # A's papers P, Q, W
    b_chair = auth(api_world.secrets["chair-B"])
    own = client.get(reverse("api:submissions"), **b_chair).content.decode()
    assert BETA_MARK in own and "ZQMATRIX paper" not in own


def test_a_read_only_token_cannot_write(client, api_world):
    chair = User.objects.get(pk=api_world.base.users["chair-A"])
    _, secret = token_create(user=chair, name="ro", workshops=[api_world.base.a], scope="read")
    url = reverse("api:workshop", args=[api_world.base.a.slug])
    assert client.get(url, **auth(secret)).status_code == 200
    response = client.patch(url, data=json.dumps({"page_limit": 9}),
                            content_type="application/json", **auth(secret))  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token_read_only"
    assert Workshop.objects.get(pk=api_world.base.a.pk).page_limit != 9
    rw = client.patch(url, data=json.dumps({"page_limit": 9}), content_type="application/json",
                      **auth(api_world.secrets["chair-A"]))  # fmt: skip
    assert rw.status_code == 200 and rw.json()["page_limit"] == 9
    assert Activity.objects.filter(action="workshop.configure", workshop=api_world.base.a).exists()


def test_revoked_and_expired_tokens_are_refused(client, api_world):
    chair = User.objects.get(pk=api_world.base.users["chair-A"])
    token, secret = token_create(user=chair, name="short", workshops=[api_world.base.a])
    url = reverse("api:workshops")
    assert client.get(url, **auth(secret)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    expired = client.get(url, **auth(secret))
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "authentication_failed"
    assert "expired" in expired.json()["error"]["message"]
    token2, secret2 = token_create(user=chair, name="revoked", workshops=[api_world.base.a])
    token_revoke(user=chair, token_id=token2.pk)
    revoked = client.get(url, **auth(secret2))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    assert client.get(url, **auth(secret2 + "x")).status_code == 401
    assert client.get(url).status_code == 401  # no credentials at all
    assert client.get(url).json()["error"]["code"] == "not_authenticated"


def test_the_database_holds_no_plain_secret(api_world):
    secrets = list(api_world.secrets.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT prefix, hashed_secret FROM api_apitoken")
        rows = cursor.fetchall()
    assert len(rows) >= len(secrets)
    stored = " ".join(" ".join(r) for r in rows)
    for secret in secrets:
        assert secret not in stored
        assert secret.split("_", 2)[2] not in stored  # not even the random part
        assert secret.startswith("wsk_")


def test_tokens_reach_only_the_users_own_workshops(api_world):
    stranger = UserFactory()
    with pytest.raises(ServiceError):
        token_create(user=stranger, name="x", workshops=[api_world.base.a])
    with pytest.raises(ServiceError):
        token_create(user=stranger, name="x", workshops=[])


def test_a_token_acts_as_its_user_and_other_users_cannot_revoke_it(client, api_world):
    author = User.objects.get(pk=api_world.base.users["author-P"])
    token, secret = token_create(user=author, name="mine", workshops=[api_world.base.a])
    other = User.objects.get(pk=api_world.base.users["author-Q"])
    client.force_login(other)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    mine = client.get(reverse("api:submissions"), **auth(secret)).json()
    assert {s["number"] for s in mine["results"]} == {1, 3}  # P and W, not Q


def test_rate_limit_per_token(client, api_world, settings):
    settings.API_RATE_LIMITS = {"token": "3/min", "session": None, "anon": None}
    from django.core.cache import cache

    cache.clear()
    chair = User.objects.get(pk=api_world.base.users["chair-A"])
    _, secret = token_create(user=chair, name="rl", workshops=[api_world.base.a])
    _, other = token_create(user=chair, name="rl2", workshops=[api_world.base.a])
    url = reverse("api:workshops")
    codes = [client.get(url, **auth(secret)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = client.get(url, **auth(secret))
    assert throttled.json()["error"]["code"] == "throttled"
    assert client.get(url, **auth(other)).status_code == 200  # counted per token


def test_session_auth_needs_csrf_for_writes(api_world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(pk=api_world.base.users["chair-A"]))
    url = reverse("api:workshop", args=[api_world.base.a.slug])
    assert browser.get(url).status_code == 200
    response = browser.patch(url, data=json.dumps({"page_limit": 7}),
                             content_type="application/json")  # fmt: skip
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_the_token_pages_create_show_once_and_revoke(client, api_world):
    author = User.objects.get(pk=api_world.base.users["author-P"])
    client.force_login(author)
    profile = client.get(reverse("profile")).content.decode()
    assert reverse("api_tokens:list") in profile
    form = client.get(reverse("api_tokens:new")).content.decode()
    assert f'value="{api_world.base.a.pk}"' in form
    assert f'value="{api_world.base.b.pk}"' not in form
    created = client.post(reverse("api_tokens:new"), {
        "name": "my script", "workshops": [api_world.base.a.pk], "scope": "read",
        "expires_in_days": "30"})  # fmt: skip
    assert created.status_code == 200
    token = ApiToken.objects.get(user=author, name="my script")
    page = created.content.decode()
    secret = page.split('value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(f"wsk_{token.prefix}_")
    assert created["Cache-Control"] == "no-store"
    listing = client.get(reverse("api_tokens:list")).content.decode()
    assert token.prefix in listing and secret not in listing
    assert Activity.objects.filter(action="api_token.create").exists()
    api = client.get(reverse("api:submissions"), **auth(secret))
    assert api.status_code == 200
    # A workshop the author takes no part in is refused by the form.
    refused = client.post(reverse("api_tokens:new"), {
        "name": "x", "workshops": [api_world.base.b.pk], "scope": "read",
        "expires_in_days": "30"})  # fmt: skip
    assert refused.status_code == 200 and not ApiToken.objects.filter(name="x").exists()
    client.post(reverse("api_tokens:revoke", args=[token.pk]))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert Activity.objects.filter(action="api_token.revoke").exists()
    assert client.get(reverse("api:submissions"), **auth(secret)).status_code == 401


def test_validation_errors_have_the_shape_with_fields(client, api_world):
    author = auth(api_world.secrets["author-P"])
    response = client.patch(reverse("api:submission", args=[api_world.base.p.pk]),
                            data=json.dumps({"title": ""}), content_type="application/json",
                            **author)  # fmt: skip
    # The paper deadline decides first (edits may be closed in the world's current phase):
    # either way, the body has the shape.
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields"}
    assert Submission.objects.get(pk=api_world.base.p.pk).title != ""


def test_the_management_command_prints_a_working_token(client, api_world):
    import io

    from django.core.management import CommandError, call_command

    chair = User.objects.get(pk=api_world.base.users["chair-A"])
    out = io.StringIO()
    call_command("api_token_create", "--user", chair.email, "--workshop", api_world.base.a.slug,
                 "--scope", "rw", stdout=out, stderr=io.StringIO())  # fmt: skip
    secret = out.getvalue().strip()
    assert secret.startswith("wsk_")
    assert client.get(reverse("api:submissions"), **auth(secret)).status_code == 200
    with pytest.raises(CommandError):
        call_command("api_token_create", "--user", chair.email, "--workshop",
                     api_world.base.b.slug, stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
