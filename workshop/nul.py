"""A NUL character in a URL's query answers 400, on every page.

PostgreSQL refuses NUL in any text it is given ("A string literal cannot contain NUL"), so a
search such as the desk's `?q=a%00b` answered 500. Forms already refuse it (Django's
CharField), posted text drops it (`workshop.posted`); a query string is read raw by the
views, so it is checked once here, before any of them. The API answers its own 400 in its
error shape (`api`), so /api/ is left to it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string


class NulQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)
