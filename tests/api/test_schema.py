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
from schemathesis import GenerationMode
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
NEGATIVE_EXAMPLES = 2  # and cases that break the schema (bad `ordering`, a wrong type...)
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


def test_every_operation_documents_its_refusals_and_its_media_types():
    """The refusals every view can answer (a bad `ordering` or `q` on a GET is a 400, a
    token's limit a 429) are in the schema for every operation, in the error shape; the
    files and the CSV export declare what they send."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    error = {"$ref": "#/components/schemas/Error"}
    operations = 0
    for path, item in paths.items():
        for method, operation in item.items():
            operations += 1
            answers = operation["responses"]
            expected = {"400", "401", "403", "404", "429"}
            if "requestBody" in operation:
                expected.add("415")
            for status in expected:
                assert answers[status]["content"] == {"application/json": {"schema": error}}, (
                    method, path, status
                )  # fmt: skip
            assert set(answers["414"]["content"]) == {"text/html"}  # gunicorn's own page
    assert operations >= 40

    def media(path: str) -> set[str]:
        return set(paths[f"/api/v1/{path}"]["get"]["responses"]["200"]["content"])

    assert media("submissions/{id}/files/{file_pk}/download/") == {"application/pdf",
                                                                   "application/zip"}  # fmt: skip
    assert media("workshops/{slug}/papers/{number}/pdf/") == {"application/pdf"}
    assert media("workshops/{slug}/submissions.csv") == {"text/csv"}


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


def _paper_with_a_file(api_world) -> int:
    """P's PDF (uploaded by its author while the call is open), with a reviewer copy: the
    downloads and the review tools' PDF answer a file, not only refusals."""
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from submissions.models import FileKind
    from submissions.services import submission_file_upload
    from tests.pdfs import make_pdf
    from tests.policy_spec import enter_phase
    from workshop.models import User

    world = api_world.base
    enter_phase(world, "s")
    stored = submission_file_upload(
        submission=world.p, user=User.objects.get(pk=world.users["author-P"]),
        kind=FileKind.PAPER,
        upload=SimpleUploadedFile("p.pdf", make_pdf(pages=1), content_type="application/pdf"),
    )  # fmt: skip
    stored.reviewer_copy.save("copy.pdf", ContentFile(make_pdf(pages=1)), save=True)
    enter_phase(world, "r")
    return stored.pk


@pytest.mark.usefixtures("_keep_the_test_connection")
@pytest.mark.parametrize("role", ["chair-A", "R1-submitted", "author-P"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_world, role):
    """Cases that fit the schema and cases that break it (a bad `ordering`, a string for a
    number, a missing field): every answer, refusals included, is one the schema documents,
    with its status, media type and body."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": auth(api_world.secrets[role])["HTTP_AUTHORIZATION"]}
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance,
              status_code_conformance]  # fmt: skip
    world = api_world.base
    real = {"slug": world.a.slug, "kind": "paper", "number": world.p.number,
            "file_pk": _paper_with_a_file(api_world)}  # fmt: skip
    started = time.monotonic()
    operations = 0

    def successes() -> int:
        return sum(n for code, n in STATUSES.items() if code < 300)

    succeeded_before = successes()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in ((GenerationMode.POSITIVE, EXAMPLES),
                               (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):  # fmt: skip

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(
                case=operation.as_strategy(mode),
                on_real_objects=st.sampled_from([True, True, True, False]),
            )
            def run(case, on_real_objects):
                if on_real_objects:  # three cases in four name the world's objects
                    ids = {"id": world.assignments["R1-asg"] if "/assignments/" in case.path
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
