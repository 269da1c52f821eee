"""The headers of a trusted site, and rate limits that answer 429 with Retry-After.

- `SecurityHeadersMiddleware` adds Permissions-Policy to every response (Django's own
  SecurityMiddleware sends Referrer-Policy, Cross-Origin-Opener-Policy and nosniff;
  django-csp sends Content-Security-Policy).
- The login lockout is per (account, address): the account adapter puts the client address
  into allauth's `login_failed` key (`login_attempts_key`), so ten bad passwords for one
  account lock out neither other accounts behind the same address (a conference's shared
  network) nor the same account elsewhere. The eleventh try raises `LoginLockedOut`, which
  `LoginLockoutMiddleware` turns into a 429 with Retry-After instead of a form error (200).
- `too_many_requests` is the project's `handler429` (allauth's other limits use it).
- `SiteNotFoundMiddleware` answers a mistyped URL with the site's own templates/404.html
  even with DEBUG on (the demo's `DJANGO_DEBUG=True`): Django's technical 404 page lists
  every URL pattern of the site.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, is_valid_path
from django.views.defaults import page_not_found

RETRY_AFTER_DEFAULT = 60


class LoginLockedOut(Exception):
    """Too many failed sign-ins for one account from one address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed sign-in attempts.")
        self.retry_after = retry_after


def login_attempts_key(domain: str, login: str, ip: str) -> str:
    """The key of allauth's `login_failed` limit: the account and the client address."""
    return f"{domain}:{login.lower()}:{ip}"


def seconds_until_allowed(request: HttpRequest, *, action: str, key: str) -> int:
    """How long until the `action` limit for `key` admits one more try (at least 1 s)."""
    from allauth.core.internal import ratelimit
    from django.core.cache import cache

    wait = 0.0
    now = time.time()
    for rate in ratelimit.get_rates(app="allauth.account", action=action):
        if rate.per != "key":
            continue
        cache_key = ratelimit.get_cache_key(
            request, app="allauth.account", action=action, rate=rate, key=key
        )
        history = cache.get(cache_key) or []
        if len(history) >= rate.amount:
            # The oldest try still counted leaves the window first (newest first in the list).
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait)) if wait else RETRY_AFTER_DEFAULT


def too_many_requests(request: HttpRequest, retry_after: int = RETRY_AFTER_DEFAULT) -> HttpResponse:
    """429 with a plain page and Retry-After (seconds)."""
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response (the others come from Django and django-csp)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class LoginLockoutMiddleware:
    """Turns a `LoginLockedOut` raised while signing in into 429 + Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginLockedOut):
            return too_many_requests(request, exception.retry_after)
        return None


class SiteNotFoundMiddleware:
    """With DEBUG on, a 404 is the site's own page, as with DEBUG off.

    Django shows its technical 404 page (every URL pattern, the settings' name) whenever DEBUG
    is on, whatever `handler404` says. Two ways lead there: a path that matches no pattern
    (resolved before any view, so no `process_exception` sees it: checked here first) and a
    view raising Http404 (`process_exception`). Both render templates/404.html through
    Django's own `page_not_found`, the view DEBUG off uses. CommonMiddleware, above this one,
    still turns a 404 into the slash-appended redirect where that path exists. With DEBUG
    off nothing changes: Django already renders the page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        urlconf = getattr(request, "urlconf", None)
        if settings.DEBUG and not is_valid_path(request.path_info, urlconf):
            return page_not_found(request, Resolver404({"path": request.path_info}))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
