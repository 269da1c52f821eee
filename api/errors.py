"""One error shape for every refusal: `{"error": {"code", "message", "fields"}}`.

Service errors map by class (workshop/errors.py): NotFound 404, NotAllowed 403,
DeadlinePassed 403, any other ServiceError 400 (or its own `status_code`, e.g. 409 for a
stale review draft). A 404 always has the same body, whether the object is missing or
hidden from the caller, so ids leak nothing.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from submissions.filechecks import FileCheckError
from workshop.errors import DeadlinePassed, NotAllowed, NotFound, ServiceError
from workshop.search import SearchError

NOT_FOUND_BODY = {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _service_code(exc: ServiceError) -> str:
    if isinstance(exc, DeadlinePassed):
        return "deadline_passed"
    if isinstance(exc, NotAllowed):
        return "not_allowed"
    code = getattr(exc, "api_code", None)
    if code:
        return code
    return "conflict" if exc.status_code == 409 else "invalid"


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {str(k): _messages(v) for k, v in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list[str]:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out += _messages(item) if isinstance(item, list | dict) else [str(item)]
        return out
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    return [str(value)]


def api_exception_handler(exc, context):
    """DRF's handler, then the house shape for everything it or we know."""
    if isinstance(exc, NotFound | Http404 | ObjectDoesNotExist | exceptions.NotFound):
        return Response(NOT_FOUND_BODY, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ServiceError):
        fields = getattr(exc, "fields", None)  # e.g. an unreadable import: its problems
        return Response(error_body(_service_code(exc), exc.message, fields), status=exc.status_code)
    if isinstance(exc, FileCheckError):
        return Response(error_body(f"file_{exc.code}", exc.message, {"file": [exc.message]}), 400)
    if isinstance(exc, SearchError):
        return Response(error_body("invalid_query", exc.message, {"q": [exc.message]}), 400)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ModelValidationError):  # a model's own validation, inside a service
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()), ["Invalid input."])
        response.data = error_body("invalid", first[0] if first else "Invalid input.", fields)
        return response
    detail = getattr(exc, "detail", "")
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = (
            "not_authenticated"
            if isinstance(exc, exceptions.NotAuthenticated)
            else ("authentication_failed")
        )
    if isinstance(exc, exceptions.Throttled):
        code = "throttled"
    response.data = error_body(str(code), str(detail) if detail else str(exc))
    return response
