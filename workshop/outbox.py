"""The mail outbox: every message is a row first, delivered by a worker after commit.

`mail_queue` renders a template into an `OutgoingMail` row inside the caller's transaction
and arranges delivery for after commit; `mail_deliver` claims one row and sends it;
`outbox_sweep` delivers whatever was left behind (broker down, worker killed, SMTP error).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from .activity import concerning
from .models import MailStatus, OutgoingMail, User, Workshop

log = logging.getLogger(__name__)

# Sweep only what the on-commit task had time to take, so the two rarely race (and when they
# do, the claim in `mail_deliver` lets exactly one of them send).
SWEEP_SETTLE = dt.timedelta(seconds=15)


def mail_render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain-text and HTML parts of `templates/email/<template>*`."""
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"email/{template}_subject.txt", ctx).split())
    text = render_to_string(f"email/{template}.txt", ctx)
    try:
        html = render_to_string(f"email/{template}.html", ctx)
    except TemplateDoesNotExist:
        # Every mail gets an HTML part: the text, escaped, with links made clickable.
        html = render_to_string("email/base.html", {**ctx, "subject": subject, "text": text})
    return subject, text, html


def mail_store(
    *,
    key: str,
    to: str,
    kind: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    workshop: Workshop | None = None,
    recipient: User | None = None,
    reply_to: str = "",
    held: bool = False,
    digest: bool = False,
    target: models.Model | None = None,
) -> tuple[OutgoingMail, bool]:
    """Store one rendered message under `key`; a second call with the same key is a no-op.
    Returns `(mail, created)`.

    `key` derives from the identity of the event that causes the mail (an activity entry,
    a comment, a reminder day), so a new event is a new mail and a retried request is not.
    `target` is the object the mail concerns (paper, assignment, decision): mails are found
    through it, never through their keys.

    Side effects: after the surrounding transaction commits, a delivery task is enqueued
    (unless `held`: held mail waits for a chair's release; or `digest`: it waits for the
    recipient's daily digest).
    """
    mail, created = OutgoingMail.objects.get_or_create(
        key=key,
        defaults={
            "to": to,
            "kind": kind,
            "subject": subject[:255],
            "body_text": body_text,
            "body_html": body_html,
            "workshop": workshop,
            "recipient": recipient,
            "reply_to": reply_to,
            "status": MailStatus.HELD
            if held
            else (MailStatus.DIGEST if digest else MailStatus.QUEUED),
            **concerning(target),
        },
    )
    if created and not held and not digest:
        transaction.on_commit(partial(mail_enqueue, mail.pk))
    return mail, created


def mail_queue(
    *,
    key: str,
    template: str,
    to: str,
    context: dict[str, Any],
    workshop: Workshop | None = None,
    recipient: User | None = None,
    reply_to: str = "",
    held: bool = False,
    target: models.Model | None = None,
) -> tuple[OutgoingMail, bool]:
    """Render `template` for one recipient and store it in the outbox (see `mail_store`)."""
    existing = OutgoingMail.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    subject, text, html = mail_render(
        template, {"workshop": workshop, "recipient": recipient, **context}
    )
    return mail_store(
        key=key,
        to=to,
        kind=template,
        subject=subject,
        body_text=text,
        body_html=html,
        workshop=workshop,
        recipient=recipient,
        reply_to=reply_to or (workshop.contact_email if workshop else ""),
        held=held,
        digest=wants_digest(recipient, template),
        target=target,
    )


# Non-essential notifications: a user may take them as a daily digest. Everything else
# (receipts, assignments, decisions, account mail) is essential and always sent at once.
NON_ESSENTIAL = {
    "discussion_comment": "Comments in the discussions of your papers",
    "reminder_bidding": "Bidding reminders",
    "author_response_notice": "Author responses to your reviews",
}


def wants_digest(user: User | None, template: str) -> bool:
    return (
        user is not None
        and template in NON_ESSENTIAL
        and (user.notification_prefs or {}).get(template) == "digest"
    )


def digests_send(now: dt.datetime | None = None) -> int:
    """Bundle each user's waiting non-essential mail into one digest (once per day)."""
    now = now or timezone.now()
    sent = 0
    waiting = (
        OutgoingMail.objects.filter(status=MailStatus.DIGEST, recipient__isnull=False)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for user in User.objects.filter(pk__in=list(waiting)):
        with transaction.atomic():
            items = list(
                OutgoingMail.objects.select_for_update()
                .filter(status=MailStatus.DIGEST, recipient=user)
                .order_by("created_at")
            )
            if not items:
                continue
            subject, text, html = mail_render("digest", {"user": user, "items": items})
            mail_store(
                key=f"digest:{user.pk}:{now.date().isoformat()}:{items[0].pk}",
                to=user.email, kind="digest", subject=subject, body_text=text,
                body_html=html, recipient=user,
            )  # fmt: skip
            OutgoingMail.objects.filter(pk__in=[m.pk for m in items]).update(
                status=MailStatus.DIGESTED, sent_at=now
            )
            sent += 1
    return sent


# After a failed publish, skip the broker for a while: each attempt against a dead broker
# costs a connection timeout, and a request that queues ten mails must not wait ten times.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def task_enqueue(task, *args: object) -> bool:
    """Publish a task; False (and nothing raised) when the broker is unreachable.

    Every caller keeps its work in the database first, so a periodic sweep picks up
    whatever could not be published.
    """
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task.apply_async(args, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the row is safe, a sweep retries
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        log.warning("Broker unreachable: %s%r left for the sweep.", task.name, args)
        return False
    return True


def mail_enqueue(mail_id: int) -> None:
    """Hand one message to the workers; if the broker is unreachable, the sweep will."""
    from .tasks import outbox_deliver

    task_enqueue(outbox_deliver, mail_id)


def mails_release(mail_ids: Iterable[int]) -> int:
    """Move held mail to the queue and enqueue it after commit. Returns how many moved."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=list(mail_ids), status=MailStatus.HELD).values_list(
            "pk", flat=True
        )
    )
    moved = OutgoingMail.objects.filter(pk__in=ids, status=MailStatus.HELD).update(
        status=MailStatus.QUEUED, next_attempt_at=timezone.now()
    )
    for pk in ids:
        transaction.on_commit(partial(mail_enqueue, pk))
    return moved


def _is_permanent(exc: Exception) -> bool:
    """5xx answers will not get better by retrying; everything else might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def message_id_for(mail: OutgoingMail) -> str:
    digest = hashlib.sha256(mail.key.encode()).hexdigest()[:32]
    return f"<{digest}@outbox.invalid>"


def _send(mail: OutgoingMail) -> None:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        reply_to=[mail.reply_to] if mail.reply_to else None,
        headers={"Message-ID": message_id_for(mail), "Auto-Submitted": "auto-generated"},
        connection=get_connection(fail_silently=False),
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    message.send()


def mail_deliver(mail_id: int) -> str:
    """Claim one message and send it. Returns what happened: sent, retry, failed or skipped.

    The claim is one conditional UPDATE, so two workers (or a task and the sweep) can never
    both send the same row. A claim left behind by a dead worker expires after
    OUTBOX_CLAIM_SECONDS and the sweep retries it.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    claimed = (
        OutgoingMail.objects.filter(pk=mail_id)
        .filter(
            Q(status=MailStatus.QUEUED, next_attempt_at__lte=now)
            | Q(status=MailStatus.SENDING, claimed_at__lt=stale)
        )
        .update(status=MailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        _send(mail)
    except Exception as exc:  # noqa: BLE001 - recorded on the row; transient ones retried
        permanent = _is_permanent(exc) or mail.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.SENDING).update(
            status=MailStatus.FAILED if permanent else MailStatus.QUEUED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + _backoff(mail.attempts),
            claimed_at=None,
        )
        log.warning("Mail %s not delivered (attempt %s): %s", mail_id, mail.attempts, exc)
        return "failed" if permanent else "retry"
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=MailStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return "sent"


def outbox_due_ids(limit: int = 500) -> list[int]:
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    return list(
        OutgoingMail.objects.filter(
            Q(status=MailStatus.QUEUED, next_attempt_at__lte=now - SWEEP_SETTLE)
            | Q(status=MailStatus.SENDING, claimed_at__lt=stale)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(limit: int = 500) -> dict[str, int]:
    """Deliver what is due and was left behind. Returns a count per outcome."""
    outcomes: dict[str, int] = {}
    for pk in outbox_due_ids(limit):
        outcome = mail_deliver(pk)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def mails_retry(mail_ids: Iterable[int]) -> int:
    """A chair's "retry now": failed or waiting mail becomes due and is enqueued."""
    ids = list(mail_ids)
    moved = OutgoingMail.objects.filter(
        pk__in=ids, status__in=[MailStatus.FAILED, MailStatus.QUEUED]
    ).update(status=MailStatus.QUEUED, next_attempt_at=timezone.now())
    for pk in ids:
        transaction.on_commit(partial(mail_enqueue, pk))
    return moved
