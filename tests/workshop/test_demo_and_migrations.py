from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from workshop.demo import DEMO_PASSWORD, DEMO_SLUG, PEOPLE
from workshop.models import Membership, Role, Topic, User, Workshop

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "workshops": list(Workshop.objects.values()),
        "topics": list(Topic.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values("email", "name", "is_staff")),
        "memberships": list(Membership.objects.order_by("pk").values("user__email", "role")),
        "emails": list(EmailAddress.objects.order_by("pk").values("email", "verified")),
    }


def test_seed_demo_twice_gives_the_same_data():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first
    assert DEMO_PASSWORD in out.getvalue()
    assert "chair@example.org" in out.getvalue()

    workshop = Workshop.objects.get(slug=DEMO_SLUG)
    assert workshop.topics.count() == 6
    assert {t.name for t in workshop.topics.all()} >= {"Algorithms", "Evaluation", "Community"}
    roles = Membership.objects.filter(workshop=workshop)
    assert roles.filter(role=Role.CHAIR).count() == 1
    assert roles.filter(role=Role.AREA_CHAIR).count() == 1
    assert roles.filter(role=Role.REVIEWER).count() == 8
    assert len([p for p in PEOPLE if p.role is None]) == 3
    chair = User.objects.get(email="chair@example.org")
    assert chair.is_staff and not chair.is_superuser
    assert chair.check_password(DEMO_PASSWORD)


def test_demo_logins_work(client):
    call_command("seed_demo", stdout=StringIO())
    response = client.post(
        "/accounts/login/", {"login": "author1@example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].email == "author1@example.org"


def test_no_pending_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
