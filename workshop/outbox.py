"""The mail outbox: every message is a row first, delivered by a worker after commit.

`mail_queue` renders a template into an `OutgoingMail` row inside the caller's transaction
(`mails_queue_bulk` many at once) and arranges delivery after commit, one task per batch;
`mails_deliver` claims a batch and sends it over one connection; `outbox_sweep` hands out
whatever was left behind (broker down, worker killed, SMTP error).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import smtplib
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
from .selectors import chairs_of

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
    if body_text and not body_html:
        # Every mail gets an HTML part: the text, escaped, with links made clickable.
        body_html = render_to_string(
            "email/base.html",
            {"site_url": settings.SITE_URL, "workshop": workshop, "subject": subject,
             "text": body_text},
        )  # fmt: skip
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
        mails_enqueue_after_commit([mail.pk])
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
        template, {"workshop": workshop, "recipient": recipient, "to": to, **context}
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


@dataclass(frozen=True)
class MailSpec:
    """One message of a fan-out (see `mails_queue_bulk`)."""

    key: str
    template: str
    to: str
    context: dict[str, Any]
    recipient: User | None = None
    target: models.Model | None = None


def chairs_mail_queue(
    *,
    workshop: Workshop,
    key: str,
    template: str,
    context: dict[str, Any],
    target: models.Model | None = None,
) -> None:
    """One mail to every chair of the workshop (`key` + ":" + the chair's id; the chair is
    in the context as `chair`): what chairs are told of (declines, check findings, held
    comments). Whether it waits for their daily digest is the template's
    (`NON_ESSENTIAL`) and their choice."""
    for chair in chairs_of(workshop):
        mail_queue(
            key=f"{key}:{chair.pk}", template=template, to=chair.email,
            context={**context, "chair": chair}, workshop=workshop, recipient=chair,
            target=target,
        )  # fmt: skip


def mails_queue_bulk(specs: Iterable[MailSpec], *, workshop: Workshop | None) -> list[int]:
    """Render and store many messages at once; returns the ids of the new rows.

    For fan-outs (reminders, announcements): one query finds the keys already stored, the
    rows are inserted together (a key stored meanwhile by someone else is skipped by the
    unique index, never duplicated), and after commit one delivery task is published per
    batch of `DELIVERY_BATCH` ids instead of one per message. Same rules as `mail_queue`:
    digest preferences are honoured, the reply-to is the workshop's contact address.
    """
    specs = list({spec.key: spec for spec in specs}.values())
    existing: set[str] = set()
    keys = [spec.key for spec in specs]
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        existing.update(OutgoingMail.objects.filter(key__in=chunk).values_list("key", flat=True))
    rows = []
    for spec in specs:
        if spec.key in existing:
            continue
        subject, text, html = mail_render(
            spec.template,
            {"workshop": workshop, "recipient": spec.recipient, "to": spec.to, **spec.context},
        )
        digest = wants_digest(spec.recipient, spec.template)
        rows.append(
            OutgoingMail(
                key=spec.key, to=spec.to, kind=spec.template, subject=subject[:255],
                body_text=text, body_html=html, workshop=workshop, recipient=spec.recipient,
                reply_to=workshop.contact_email if workshop else "",
                status=MailStatus.DIGEST if digest else MailStatus.QUEUED,
                **concerning(spec.target),
            )
        )  # fmt: skip
    if not rows:
        return []
    OutgoingMail.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    created: list[int] = []
    queued: list[int] = []
    new_keys = [row.key for row in rows]
    for start in range(0, len(new_keys), 5000):
        chunk = new_keys[start : start + 5000]
        for pk, status in OutgoingMail.objects.filter(key__in=chunk).values_list("pk", "status"):
            created.append(pk)
            if status == MailStatus.QUEUED:
                queued.append(pk)
    mails_enqueue_after_commit(queued)
    return created


# Non-essential notifications: a user may take them as a daily digest. Everything else
# (receipts, assignments, decisions, account mail) is essential and always sent at once.
NON_ESSENTIAL = {
    "discussion_comment": "Comments in the discussions of your papers",
    "reminder_bidding": "Bidding reminders",
    "author_response_notice": "Author responses to your reviews",
    "check_findings": "What the automatic PDF checks found (chairs)",
    "public_comments_held": "Public comments waiting for moderation (chairs)",
    "review_flag_found": "Reviews flagged as copied, too short or following a canary (chairs)",
}
# Kinds that go to the daily digest unless the user chose a mail each time.
DIGEST_BY_DEFAULT = {"check_findings", "review_flag_found"}


def notification_mode(user: User | None, template: str) -> str:
    """'event' or 'digest': the user's choice, else the kind's default."""
    prefs = (user.notification_prefs or {}) if user is not None else {}
    return prefs.get(template) or ("digest" if template in DIGEST_BY_DEFAULT else "event")


def wants_digest(user: User | None, template: str) -> bool:
    return (
        user is not None
        and template in NON_ESSENTIAL
        and notification_mode(user, template) == "digest"
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


def task_enqueue(task, *args: object, countdown: float | None = None) -> bool:
    """Publish a task; False (and nothing raised) when the broker is unreachable.

    Every caller keeps its work in the database first, so a periodic sweep picks up
    whatever could not be published.
    """
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task.apply_async(args, retry=False, countdown=countdown)
    except Exception:  # noqa: BLE001 - any broker failure: the row is safe, a sweep retries
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        log.warning("Broker unreachable: %s%r left for the sweep.", task.name, args)
        return False
    return True


# Messages per delivery task: one task, one claim, one SMTP connection for up to this many.
DELIVERY_BATCH = 100


def mails_enqueue(mail_ids: Iterable[int]) -> None:
    """Hand messages to the workers, one task per batch; if the broker is unreachable, the
    sweep will."""
    from .tasks import outbox_deliver_batch

    ids = list(mail_ids)
    for start in range(0, len(ids), DELIVERY_BATCH):
        if not task_enqueue(outbox_deliver_batch, ids[start : start + DELIVERY_BATCH]):
            return  # the broker is down: every row is safe and due, the sweep takes them


class _PendingMail(list):
    """Ids waiting for their transaction's commit; `published` once the callback ran."""

    published = False

    def publish(self) -> None:
        self.published = True
        mails_enqueue(self)


def mails_enqueue_after_commit(mail_ids: Iterable[int]) -> None:
    """Enqueue `mail_ids` once the surrounding transaction commits, together with every other
    message of that transaction: a request or a fan-out that stores 500 messages publishes
    five tasks, not 500. Outside a transaction they are enqueued at once.

    Messages are grouped per savepoint level, like Django's own on-commit callbacks, so the
    ids of a savepoint that is rolled back are dropped with it.
    """
    ids = list(mail_ids)
    if not ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        mails_enqueue(ids)
        return
    level = tuple(connection.savepoint_ids)
    groups = connection.__dict__.setdefault("_outbox_pending", {})
    pending = groups.get(level)
    # The list belongs to a callback of this transaction; once that callback ran or was
    # discarded (rollback), the next message needs a new list and callback.
    if (
        pending is None
        or pending.published
        or not any(func == pending.publish for _sids, func, _robust in connection.run_on_commit)
    ):
        pending = groups[level] = _PendingMail()
        transaction.on_commit(pending.publish)
    pending.extend(ids)


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
    mails_enqueue_after_commit(ids)
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


def _message(mail: OutgoingMail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        reply_to=[mail.reply_to] if mail.reply_to else None,
        headers={"Message-ID": message_id_for(mail), "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    return message


def _stale() -> dt.datetime:
    """Claims renewed before this moment belong to a dead worker (see `_Lease`)."""
    return timezone.now() - dt.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)


def _due() -> Q:
    return Q(status=MailStatus.QUEUED, next_attempt_at__lte=timezone.now()) | Q(
        status=MailStatus.SENDING, claimed_at__lt=_stale()
    )


def _claim(mail_ids: list[int]) -> tuple[list[OutgoingMail], dt.datetime]:
    """Take the due rows among `mail_ids` for this worker: rows another worker holds (locked
    or under a live lease) are left to it, so two workers, or a task and the sweep, never
    both send one message. A lease left behind by a dead worker runs out
    OUTBOX_CLAIM_SECONDS after its last renewal and the row is handed out again."""
    claimed_at = timezone.now()
    with transaction.atomic():
        mails = list(
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(_due(), pk__in=mail_ids)
            .order_by("pk")
        )
        if mails:
            OutgoingMail.objects.filter(pk__in=[m.pk for m in mails]).update(
                status=MailStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
            )
    for mail in mails:
        mail.attempts += 1
    return mails, claimed_at


def _claims_renew(mail_ids: list[int], tokens: list[dt.datetime]) -> tuple[set[int], dt.datetime]:
    """Renew this worker's lease on the rows among `mail_ids` it still holds (status
    `sending`, `claimed_at` one of the values it wrote, `tokens`); returns the ids renewed
    and the new value. A row another worker took meanwhile (it wrote its own `claimed_at`)
    is not renewed, nor is a row locked right now (the one being sent: its lock keeps
    everyone else off it)."""
    renewed_at = timezone.now()
    with transaction.atomic():
        mine = set(
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(pk__in=mail_ids, status=MailStatus.SENDING, claimed_at__in=tokens)
            .values_list("pk", flat=True)
        )
        OutgoingMail.objects.filter(pk__in=mine).update(claimed_at=renewed_at)
    return mine, renewed_at


class _Lease:
    """This worker's claim on a batch, kept alive while the batch is being sent.

    A heartbeat thread renews the claim every third of OUTBOX_CLAIM_SECONDS, also while one
    SMTP exchange hangs (the thread runs while the sender waits on its socket), so the
    lease can be seconds long: a dead worker's rows come back seconds after it died, a slow
    one keeps them. `claimed_at` is the lease; every value this worker wrote is one of its
    `tokens`, so a row is this worker's while its `claimed_at` is one of them. If the
    heartbeat falls behind (or runs in the caller's thread: inside a transaction, where
    nobody else can see the claim anyway, or on SQLite), the sender renews before the next
    message.
    """

    def __init__(self, mail_ids: list[int], claimed_at: dt.datetime) -> None:
        self.seconds = float(settings.OUTBOX_CLAIM_SECONDS)
        self.tokens = [claimed_at]
        self.held = set(mail_ids)
        self.lost: set[int] = set()
        self.renewed = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> None:
        with self._lock:
            started = time.monotonic()
            if self.held:
                ids = sorted(self.held)
                mine, renewed_at = _claims_renew(ids, list(self.tokens))
                self.tokens.append(renewed_at)
                # Taken by another worker, or (PostgreSQL) locked right now: the conditional
                # mark in `_deliver_one` tells the two apart; SQLite has no row locks.
                self.lost.update(set(ids) - mine)
            self.renewed = started

    def renew_if_late(self) -> None:
        if time.monotonic() - self.renewed >= self.seconds / 2:
            self.renew()

    def done(self, mail_id: int) -> None:
        with self._lock:
            self.held.discard(mail_id)

    @contextlib.contextmanager
    def holding(self, mail_id: int) -> Iterator[models.QuerySet]:
        """The row `mail_id` as long as it is this worker's, with the heartbeat held off (its
        renewal would change `claimed_at` under the caller's feet)."""
        with self._lock:
            yield OutgoingMail.objects.filter(
                pk=mail_id, status=MailStatus.SENDING, claimed_at__in=list(self.tokens)
            )

    def _beat(self) -> None:
        from django.db import connections

        try:
            while not self._stop.wait(max(self.seconds / 3, 0.2)):
                try:
                    self.renew()
                except Exception:  # a missed beat; the sender renews if it falls behind
                    log.warning("Outbox heartbeat failed; will try again.", exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    def __enter__(self) -> _Lease:
        connection = transaction.get_connection()
        if connection.vendor != "sqlite" and not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, name="outbox-lease", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def mails_deliver(mail_ids: Iterable[int], *, recheck_held: bool = False) -> dict[str, int]:
    """Claim the due messages among `mail_ids` and send them over one SMTP connection.
    Returns a count per outcome: sent, retry, failed, skipped (not due or someone else's).

    Each message is marked sent in the transaction step of the server's acceptance (see
    `_deliver_one`). A transient error is retried with per-message backoff; after an error
    the connection is opened again for the rest of the batch. The claim is a lease kept
    alive while the batch runs (`_Lease`).

    `recheck_held` (a worker's task): rows of the batch that another worker holds are looked
    at again once its lease could have run out, so that the rows of a worker killed
    mid-batch (its task comes back at once, acks late) go out seconds later, not at the
    next sweep.
    """
    ids = list(mail_ids)
    mails, claimed_at = _claim(ids)
    outcomes: dict[str, int] = {}
    if len(mails) < len(ids):
        outcomes["skipped"] = len(ids) - len(mails)
        if recheck_held:
            _recheck_held(set(ids) - {m.pk for m in mails})
    if not mails:
        return outcomes
    connection = get_connection(fail_silently=False)
    todo = list(reversed(mails))
    try:
        with _Lease([m.pk for m in mails], claimed_at) as lease:
            while todo:
                unreachable = _open(connection)
                if unreachable is not None:
                    _defer(todo, unreachable)
                    outcomes["deferred"] = outcomes.get("deferred", 0) + len(todo)
                    break
                lease.renew_if_late()
                mail = todo.pop()
                outcome = _deliver_one(mail, connection, lease)
                lease.done(mail.pk)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return outcomes


def _recheck_held(mail_ids: set[int]) -> None:
    """Publish one more look at the rows among `mail_ids` that another worker holds, due
    when their lease runs out if that worker is dead."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not mail_ids:
        return
    held = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=MailStatus.SENDING).values_list(
            "pk", flat=True
        )
    )
    if held:
        from .tasks import outbox_deliver_batch

        task_enqueue(
            outbox_deliver_batch, sorted(held), False, countdown=settings.OUTBOX_CLAIM_SECONDS + 1
        )


# While the mail server is unreachable, a batch is put back (its attempts not counted) and
# tried again this soon: an outage is not the messages' fault, and when the server returns
# the backlog must go at once, not after each message's growing backoff.
SERVER_RETRY_SECONDS = 10


def _open(connection) -> Exception | None:
    """Open `connection` if it is closed; the error when the server cannot be reached."""
    if getattr(connection, "connection", True) is not None:
        return None  # open already (or a backend without connections: locmem, console)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        return exc
    return None


def _defer(mails: list[OutgoingMail], error: Exception) -> None:
    """Put claimed, unsent messages back for SERVER_RETRY_SECONDS, attempts not counted."""
    ids = [m.pk for m in mails]
    OutgoingMail.objects.filter(pk__in=ids, status=MailStatus.SENDING).update(
        status=MailStatus.QUEUED,
        attempts=F("attempts") - 1,
        claimed_at=None,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=SERVER_RETRY_SECONDS),
        last_error=f"mail server unreachable: {type(error).__name__}: {error}"[:2000],
    )
    log.warning("Mail server unreachable (%s): messages put back: %s.", error, len(ids))
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from .tasks import outbox_deliver_batch

        # The sweep would find them too; this brings them back as soon as they are due.
        task_enqueue(outbox_deliver_batch, ids, countdown=SERVER_RETRY_SECONDS + 1)


def _deliver_one(mail: OutgoingMail, connection, lease: _Lease) -> str:
    """Send one claimed message, unless this worker's lease on it was lost meanwhile.
    Returns sent, retry, failed or skipped.

    On PostgreSQL the row is marked sent first, in a transaction that stays open during the
    SMTP exchange and commits as soon as the server has accepted the message: after the
    server's reply only the COMMIT is left, the smallest window SMTP allows in which a
    killed worker leaves an accepted message unmarked (it would be sent again, with the same
    Message-ID). A worker killed before the reply leaves nothing committed (the row goes
    back when its lease runs out). The row lock keeps every other worker off the row
    meanwhile. On SQLite (one write lock for the whole database) the row is marked right
    after the reply instead.
    """
    db = transaction.get_connection()
    try:
        if db.vendor == "postgresql":
            with transaction.atomic():
                with db.cursor() as cursor:
                    # A worker killed right after the COMMIT still leaves it committed; only
                    # a crash of the database server itself could lose the last fraction of
                    # a second of such marks (those messages would go out a second time).
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                with lease.holding(mail.pk) as mine:
                    marked = _mark_sent(mine)
                if not marked:
                    return "skipped"
                connection.send_messages([_message(mail, connection)])
        else:
            if mail.pk in lease.lost:
                return "skipped"
            connection.send_messages([_message(mail, connection)])
            _mark_sent(OutgoingMail.objects.filter(pk=mail.pk))
    except Exception as exc:  # noqa: BLE001 - recorded on the row; transient ones retried
        with contextlib.suppress(Exception):
            connection.close()  # the next message starts on a fresh connection
        permanent = _is_permanent(exc) or mail.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
            status=MailStatus.FAILED if permanent else MailStatus.QUEUED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + _backoff(mail.attempts),
            claimed_at=None,
        )
        log.warning("Mail %s not delivered (attempt %s): %s", mail.pk, mail.attempts, exc)
        return "failed" if permanent else "retry"
    return "sent"


def _mark_sent(rows: models.QuerySet) -> bool:
    """Record that the server accepted (or is about to accept) the message of `rows`."""
    return bool(
        rows.update(status=MailStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error="")
    )


def mail_deliver(mail_id: int) -> str:
    """Claim one message and send it. Returns what happened: sent, retry, failed or skipped."""
    (outcome,) = mails_deliver([mail_id])
    return outcome


def outbox_due_ids(limit: int = 20_000) -> list[int]:
    now = timezone.now()
    return list(
        OutgoingMail.objects.filter(
            Q(status=MailStatus.QUEUED, next_attempt_at__lte=now - SWEEP_SETTLE)
            | Q(status=MailStatus.SENDING, claimed_at__lt=_stale())
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(limit: int = 20_000) -> dict[str, int]:
    """Deliver what is due and was left behind. Returns a count per outcome.

    With a broker, the due messages are handed out as batch tasks, so every mail worker
    takes part (a backlog after an SMTP outage goes out as fast as the workers and the
    server allow) and the sweep itself returns at once (`dispatched`); the first batch, and
    everything when the broker is unreachable or tasks run eagerly, is delivered here.
    """
    ids = outbox_due_ids(limit)
    outcomes: dict[str, int] = {}

    def deliver(batch: list[int]) -> None:
        for outcome, n in mails_deliver(batch).items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n

    from .tasks import outbox_deliver_batch

    batches = [ids[i : i + DELIVERY_BATCH] for i in range(0, len(ids), DELIVERY_BATCH)]
    for position, batch in enumerate(batches):
        if position == 0 or settings.CELERY_TASK_ALWAYS_EAGER:
            deliver(batch)
        elif task_enqueue(outbox_deliver_batch, batch):
            outcomes["dispatched"] = outcomes.get("dispatched", 0) + len(batch)
        else:
            deliver(batch)
    return outcomes


def mails_retry(mail_ids: Iterable[int]) -> int:
    """A chair's "retry now": failed or waiting mail becomes due and is enqueued."""
    ids = list(mail_ids)
    moved = OutgoingMail.objects.filter(
        pk__in=ids, status__in=[MailStatus.FAILED, MailStatus.QUEUED]
    ).update(status=MailStatus.QUEUED, next_attempt_at=timezone.now())
    mails_enqueue_after_commit(ids)
    return moved
