"""A busy database answers 503 "busy, try again" with Retry-After, never 500.

On the embedded SQLite default one writer holds the database at a time; a request that
waited the busy timeout (settings: 20 s) for the write lock fails with `OperationalError:
database is locked`. That is not a fault of the request, so it gets 503 with Retry-After:
an HTML page, or under /api/ the API's error shape (`{"error": {"code", "message",
"fields"}}`, code `busy`). Never the 500 page, nor with DEBUG on its traceback and locals.

Caught where it is raised: in a view (`process_exception`, before Django renders any 500),
or in a middleware inside this one (a session save, a lockout counter): Django turns those
into 500 responses on the spot, so `got_request_exception` marks the request and the
middleware swaps the response on the way out.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db.utils import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
BUSY_MESSAGE = "The site is busy with a long change; please try again in a few seconds."
_MARK = "_database_busy"


def is_database_busy(exc: BaseException | None) -> bool:
    """Whether `exc` is SQLite's "database is locked" (or "... table is locked")."""
    import sqlite3

    return isinstance(exc, OperationalError | sqlite3.OperationalError) and "is locked" in str(exc)


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON in the API's shape under /api/, else the busy page."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": "busy", "message": BUSY_MESSAGE, "fields": {}}}
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        # No request, no context processors: nothing that would need the database again.
        html = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_busy(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and is_database_busy(sys.exc_info()[1]):
        setattr(request, _MARK, True)


got_request_exception.connect(_mark_busy, dispatch_uid="workshop.busy.mark")


class DatabaseBusyMiddleware:
    """Turns "database is locked" into 503 busy (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _MARK, False):
            return busy_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        log.warning("Database busy: %s %s answered 503.", request.method, request.path)
        return busy_response(request)
