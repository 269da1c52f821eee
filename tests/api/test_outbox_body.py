"""The outbox in the API shows a mail's text (`body`), so that chairs can proofread held
mail before releasing it; only the chairs of the workshop read the outbox at all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workshop.models import MailStatus, OutgoingMail

from .world import auth

pytestmark = pytest.mark.django_db
BODY = "ZQHELDBODY Dear author,\nplease upload your camera-ready."


@pytest.fixture
def held(api_world):
    return OutgoingMail.objects.create(
        key="test:held-body", workshop=api_world.base.a, to="someone@example.org",
        kind="chair_mail", subject="Camera-ready", body_text=BODY, status=MailStatus.HELD,
    )  # fmt: skip


def test_chairs_read_the_body_of_held_mail(client, api_world, held):
    url = reverse("api:outbox", args=[api_world.base.a.slug])
    response = client.get(url, {"status": "held"}, **auth(api_world.secrets["chair-A"]))
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert rows[held.pk]["body"] == BODY
    assert rows[held.pk]["status"] == "held"


@pytest.mark.parametrize("role", ["chair-B", "R1-submitted", "AC-of-P", "author-P"])
def test_no_one_else_reads_it(client, api_world, held, role):
    url = reverse("api:outbox", args=[api_world.base.a.slug])
    response = client.get(url, **auth(api_world.secrets[role]))
    assert response.status_code in (403, 404)
    assert "ZQHELDBODY" not in response.content.decode()
