"""django-allauth hooks: its mails go through the outbox like every other message."""

from __future__ import annotations

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from . import outbox


class AccountAdapter(DefaultAccountAdapter):
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
