"""django-allauth hooks: its mails go through the outbox like every other message."""

from __future__ import annotations

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from . import outbox
from .security import LoginLockedOut, login_attempts_key, seconds_until_allowed


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:  # type: ignore[no-untyped-def]
        """Failed sign-ins count per (account, address), not per address alone."""
        site = get_current_site(request)
        login = credentials.get("email", credentials.get("username", ""))
        return login_attempts_key(site.domain, login, self.get_client_ip(request))

    def pre_authenticate(self, request, **credentials) -> None:  # type: ignore[no-untyped-def]
        """The lockout answers 429 with Retry-After (LoginLockoutMiddleware), not a form
        error with 200."""
        from allauth.core.internal import ratelimit

        key = self._get_login_attempts_cache_key(request, **credentials)
        self._login_failed_rl_usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed", key=key
        )
        if not self._login_failed_rl_usage:
            raise LoginLockedOut(seconds_until_allowed(request, action="login_failed", key=key))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL,
        }
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        text, html = message.body, ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        if getattr(message, "content_subtype", "plain") == "html":
            text, html = "", message.body
        user = context.get("user")
        kind = template_prefix.rsplit("/", 1)[-1]
        # Each allauth mail is its own logical message (a re-sent confirmation is new).
        outbox.mail_store(
            key=f"account:{kind}:{uuid.uuid4().hex}",
            to=email,
            kind=f"account/{kind}",
            subject=message.subject,
            body_text=text,
            body_html=html,
            recipient=user if getattr(user, "pk", None) else None,
        )
