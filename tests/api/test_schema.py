"""The OpenAPI schema: generated without a warning, and honoured by the API. Schemathesis
generates requests from the schema for every operation as a chair, a reviewer and an
author (each with their token): no answer may be a 5xx, and every answer must match the
schema (status-specific bodies, content types)."""

from __future__ import annotations

import io
import time
from collections import Counter

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from workshop.wsgi import application

from .world import auth

pytestmark = pytest.mark.django_db
EXAMPLES = 4  # per operation and role: CI has 2 cores for everything
FIGURES: dict[str, int] = {"operations": 0, "requests": 0, "roles": 0}
STATUSES: Counter[int] = Counter()


def test_schema_generates_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null",
                 stdout=out, stderr=out)  # fmt: skip


def test_schema_is_served_and_the_docs_load_vendored_assets(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"openapi: 3" in schema.content
    assert b"/api/v1/submissions/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "<script>" not in page  # the strict CSP: no inline script


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI app closes "old" connections at each request's start and end, and a
    connection inside the test's transaction counts as old on PostgreSQL; Django's test
    client disconnects the same handlers for the same reason."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_the_test_connection")
@pytest.mark.parametrize("role", ["chair-A", "R1-submitted", "author-P"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_world, role):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": auth(api_world.secrets[role])["HTTP_AUTHORIZATION"]}
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance,
              status_code_conformance]  # fmt: skip
    world = api_world.base
    real = {"slug": world.a.slug, "kind": "paper", "number": world.p.number}
    started = time.monotonic()
    operations = 0

    def successes() -> int:
        return sum(n for code, n in STATUSES.items() if code < 300)

    succeeded_before = successes()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(
            case=operation.as_strategy(), on_real_objects=st.sampled_from([True, True, True, False])
        )
        def run(case, on_real_objects):
            if on_real_objects:  # three cases in four name the world's objects, not random ids
                ids = {"pk": world.assignments["R1-asg"] if "/assignments/" in case.path
                       else world.p.pk}  # fmt: skip
                for name in case.path_parameters or {}:
                    if name in real or name in ids:
                        case.path_parameters[name] = {**real, **ids}[name]
            response = case.call(headers=headers)
            FIGURES["requests"] += 1
            STATUSES[response.status_code] += 1
            case.validate_response(response, checks=checks, headers=headers)

        run()
    FIGURES["operations"] = operations
    FIGURES["roles"] += 1
    print(
        f"\nSchemathesis as {role}: {operations} operations, {FIGURES['requests']} requests "
        f"so far, {time.monotonic() - started:.1f}s; statuses {dict(sorted(STATUSES.items()))}"
    )
    assert operations >= 25
    assert successes() - succeeded_before >= 10  # this role's cases: not only refusals
