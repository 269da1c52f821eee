"""Rate limits per token (per user for browser sessions, per address for the anonymous).

Rates come from `settings.API_RATE_LIMITS` when a request is made (not at import), so a
deployment or a test can change them; counts live in the cache (Redis in production).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .access import token_of


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:  # read at request time, not at import
        return None

    def allow_request(self, request, view) -> bool:
        token = token_of(request)
        if token is not None:
            kind, ident = "token", f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            kind, ident = "session", f"user-{request.user.pk}"
        else:
            kind, ident = "anon", f"ip-{self.get_ident(request)}"
        self.rate = settings.API_RATE_LIMITS.get(kind)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()
