"""The OpenAPI schema's common answers: every operation may be refused in the one error
shape (`api.errors`), whatever its own answers are, so a postprocessing hook documents the
refusals once for all of them instead of each view listing them (and forgetting some:
a GET's 400 for a bad `ordering` or `q`, a 415 for a body of another media type).

Registered in `SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]` (after drf-spectacular's
own enum hook).
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "Error"
ERROR_DETAIL_COMPONENT = "ErrorDetail"

# Every operation, in the error shape.
COMMON_ERRORS = {
    "400": "Invalid input (a field, a query parameter such as `ordering` or `q`, the body).",
    "401": "No or bad credentials.",
    "403": "Not allowed, a read-only token, or a closed window.",
    "404": "Missing, or hidden from the caller (the same answer for both).",
    "429": "Too many requests for this token.",
}
# Operations that take a body: one of another media type than they parse.
BODY_ERRORS = {"415": "The body's media type is not one this operation takes."}
# The web server's own refusal, before the API reads anything (so in its own shape).
SERVER_ERRORS = {
    "414": {
        "description": "The URL is longer than the web server takes (gunicorn: 4094 bytes).",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}

_SCHEMAS = {
    ERROR_DETAIL_COMPONENT: {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["code", "message", "fields"],
    },
    ERROR_COMPONENT: {
        "type": "object",
        "properties": {"error": {"$ref": f"#/components/schemas/{ERROR_DETAIL_COMPONENT}"}},
        "required": ["error"],
    },
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }


def add_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular's postprocessing hook: the common refusals on every operation (an
    operation's own description of one of them is kept)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _SCHEMAS.items():
        schemas.setdefault(name, schema)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            answers = operation.setdefault("responses", {})
            errors = {**COMMON_ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for status, description in errors.items():
                answers.setdefault(status, error_response(description))
            for status, answer in SERVER_ERRORS.items():
                answers.setdefault(status, answer)
            operation["responses"] = dict(sorted(answers.items()))
    return result
