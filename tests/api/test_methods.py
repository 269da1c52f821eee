"""Every method on every API path answers in the API's shape (issue 30): OPTIONS on each
operation's path with each role's read-write token is a 200 or a refusal, never a 500; a
path the API does not have answers the JSON 404 for every method, writes included (not
Django's HTML CSRF page)."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from api.errors import NOT_FOUND_BODY
from tests.policy_spec import ROLES

from .world import auth

pytestmark = pytest.mark.django_db


def _schema_paths() -> list[str]:
    return sorted(SchemaGenerator().get_schema(request=None, public=True)["paths"])


def _filled(path: str, api_world) -> str:
    world = api_world.base
    values = {"slug": world.a.slug, "id": str(world.p.pk), "number": str(world.p.number),
              "file_pk": "1", "kind": "paper"}  # fmt: skip
    if path.startswith("/api/v1/assignments/"):
        values["id"] = str(world.assignments["R1-asg"])
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_the_schema_has_the_paths_this_module_walks():
    assert len(_schema_paths()) >= 30


@pytest.mark.parametrize("role", ROLES)
def test_options_answers_every_path_without_a_server_error(client, api_world, role):
    """DRF's metadata class reads a view's serializer and queryset: it must cope with every
    view of the API, for anyone (a refusal is fine; a 500 is not)."""
    answers = {}
    for path in _schema_paths():
        response = client.options(_filled(path, api_world), **auth(api_world.secrets.get(role)))
        answers[path] = response.status_code
        assert response.status_code < 500, f"OPTIONS {path} as {role}: {response.status_code}"
        assert response["Content-Type"].startswith("application/json"), path
    if role != "anonymous":
        assert all(code == 200 for code in answers.values()), answers


UNKNOWN = [
    "/api/v1/nothing-here/",
    "/api/v1/workshops/x/nothing/",
    "/api/v2/",
    "/api/x",
    "/api/v1/workshops/x/papers/1%0A/comments/",
]  # a line break: Schemathesis found it


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options", "head"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_an_unknown_api_path_answers_the_json_404_for_every_method(client, api_world, method,
                                                                   signed_in):  # fmt: skip
    """With a session too: CSRF is the API's concern on its own views, and an unknown path
    has nothing to protect."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    if signed_in:
        from workshop.models import User

        client.force_login(User.objects.get(pk=api_world.base.users["chair-A"]))
    for path in UNKNOWN:
        if method in ("get", "head"):
            response = getattr(client, method)(path)
        else:
            response = getattr(client, method)(path, "{}", content_type="application/json")
        assert response.status_code == 404, (method, path, response.status_code)
        assert response["Content-Type"] == "application/json", (method, path)
        if method != "head":
            assert response.json() == NOT_FOUND_BODY


def test_a_null_character_is_refused_not_a_server_error(client, api_world):
    """PostgreSQL refuses NUL in any text it compares (Schemathesis: `?q=` with one was a
    500): in a path it names nothing, in a query parameter it is invalid."""
    chair = auth(api_world.secrets["chair-A"])
    slug = api_world.base.a.slug
    for path in ("/api/v1/workshops/%00/", "/api/v1/workshops/%00/members/"):
        response = client.get(path, **chair)
        assert response.status_code == 404 and response.json() == NOT_FOUND_BODY, path
    for path in ("/api/v1/submissions/?q=a%00b", f"/api/v1/workshops/{slug}/members/?role=%00",
                 f"/api/v1/workshops/{slug}/submissions.csv?q=%00"):  # fmt: skip
        response = client.get(path, **chair)
        assert response.status_code == 400, (path, response.status_code)
        assert response.json()["error"]["code"] == "invalid", path
