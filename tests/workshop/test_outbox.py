"""The mail outbox: one message per key, failures kept and retried, delivery by a worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tests.smtp import free_port, smtp_server
from workshop import outbox
from workshop.models import MailStatus, OutgoingMail

pytestmark = pytest.mark.django_db


def queue(key: str = "test:1", to: str = "ann@example.org", **kwargs) -> OutgoingMail:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        mail, _ = outbox.mail_queue(
            key=key, template="test_message", to=to, context={"name": "Ann"}, **kwargs
        )
        return mail


def make_due(mail_obj: OutgoingMail) -> None:
    """Simulate time passing beyond the backoff and the sweep's settle window."""
    OutgoingMail.objects.filter(pk=mail_obj.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=5)
    )


def test_one_message_per_key_even_when_queued_twice():
    first = queue()
    second = queue()
    assert first.pk == second.pk
    assert OutgoingMail.objects.count() == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "Test message for Ann"
    assert sent.to == ["ann@example.org"]
    assert "checks that the outbox works" in sent.body
    assert sent.alternatives[0][1] == "text/html"
    assert sent.extra_headers["Message-ID"].startswith("<")


def test_delivery_waits_for_commit_and_rollback_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.mail_queue(key="test:commit", template="test_message", to="a@b.org", context={})
    assert len(callbacks) == 1
    assert len(mail.outbox) == 0
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.mail_queue(key="test:rolled-back", template="test_message", to="a@b.org", context={})
        raise RuntimeError("the change failed")
    assert not OutgoingMail.objects.filter(key="test:rolled-back").exists()
    assert len(mail.outbox) == 0


def test_delivering_twice_sends_once():
    m = queue()
    assert outbox.mail_deliver(m.pk) == "skipped"
    assert len(mail.outbox) == 1
    m.refresh_from_db()
    assert m.status == MailStatus.SENT
    assert m.attempts == 1


def test_failing_smtp_server_keeps_message_queued_and_the_sweep_delivers_it(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here yet
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    m = queue("test:smtp-down")
    m.refresh_from_db()
    assert m.status == MailStatus.QUEUED
    assert m.attempts == 0, "a server that cannot be reached is not the message's attempt"
    assert "Connection refused" in m.last_error or "Errno" in m.last_error
    assert m.next_attempt_at > timezone.now()  # backoff

    assert outbox.outbox_sweep() == {}  # not due yet
    with smtp_server(settings.EMAIL_PORT) as inbox:
        make_due(m)
        assert outbox.outbox_sweep() == {"sent": 1}
        assert outbox.outbox_sweep() == {}
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "Test message for Ann"
    m.refresh_from_db()
    assert (m.status, m.attempts, m.last_error) == (MailStatus.SENT, 1, "")


def test_permanent_refusal_fails_without_retry(settings, monkeypatch):
    import smtplib

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"bad@example.org": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    m = queue("test:refused", to="bad@example.org")
    m.refresh_from_db()
    assert m.status == MailStatus.FAILED
    assert "no such user" in m.last_error
    make_due(m)
    assert outbox.outbox_sweep() == {}


def test_gives_up_after_max_attempts(settings, monkeypatch):
    settings.OUTBOX_MAX_ATTEMPTS = 2

    def flaky(self, *args, **kwargs):
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", flaky)
    m = queue("test:flaky")
    make_due(m)
    assert outbox.outbox_sweep() == {"failed": 1}
    m.refresh_from_db()
    assert (m.status, m.attempts) == (MailStatus.FAILED, 2)


def test_stale_claim_of_a_dead_worker_is_retried(settings):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(outbox, "mails_enqueue", lambda ids: None)  # the task is lost
        m = queue("test:dead-worker")
    # A worker claimed it and died before sending.
    OutgoingMail.objects.filter(pk=m.pk).update(
        status=MailStatus.SENDING, claimed_at=timezone.now(), attempts=1
    )
    assert outbox.outbox_sweep() == {}  # the claim is fresh: maybe still sending
    OutgoingMail.objects.filter(pk=m.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS + 1)
    )
    assert outbox.outbox_sweep() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_broker_down_leaves_message_for_the_sweep(monkeypatch):
    from workshop import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.outbox_deliver_batch, "apply_async", broker_down)
    m = queue("test:broker-down")
    m.refresh_from_db()
    assert m.status == MailStatus.QUEUED
    assert len(mail.outbox) == 0
    make_due(m)
    assert outbox.outbox_sweep() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_held_mail_waits_for_release():
    m = queue("test:held", held=True)
    assert m.status == MailStatus.HELD
    make_due(m)
    assert outbox.outbox_sweep() == {}
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert outbox.mails_release([m.pk]) == 1
    m.refresh_from_db()
    assert m.status == MailStatus.SENT
    assert outbox.mails_release([m.pk]) == 0
    assert len(mail.outbox) == 1
