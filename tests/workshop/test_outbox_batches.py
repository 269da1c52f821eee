"""Mail in bulk: one task per batch of ids, one claim and one SMTP connection per batch, and
a claim renewed on a long batch. Exactly-once stays as it was (each message marked sent as
soon as the server took it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from tests.factories import UserFactory, WorkshopFactory
from workshop import outbox
from workshop.models import MailStatus, OutgoingMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch) -> list[list[int]]:
    """The batches handed to the broker (nothing is delivered)."""
    batches: list[list[int]] = []

    def record(task, ids, countdown=None):
        assert task.name == "workshop.tasks.outbox_deliver_batch"
        batches.append(list(ids))
        return True

    monkeypatch.setattr(outbox, "task_enqueue", record)
    return batches


def store(n: int, prefix: str = "bulk") -> list[OutgoingMail]:
    return [
        outbox.mail_queue(
            key=f"{prefix}:{i}", template="test_message", to=f"r{i}@example.org", context={}
        )[0]
        for i in range(n)
    ]


def make_due(ids) -> None:
    OutgoingMail.objects.filter(pk__in=ids).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=5)
    )


def test_a_transaction_publishes_one_task_per_hundred_messages(published):
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        mails = store(250)
        assert published == [], "nothing is published before commit"
    assert [len(batch) for batch in published] == [100, 100, 50]
    assert sorted(pk for batch in published for pk in batch) == sorted(m.pk for m in mails)


def test_a_second_transaction_publishes_its_own_batch(published):
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = store(3, "first")
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = store(2, "second")
    assert published == [[m.pk for m in first], [m.pk for m in second]]


def test_a_rolled_back_transaction_publishes_nothing(published):
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            store(5, "gone")
            raise RuntimeError("the change failed")
        kept = store(1, "kept")
    assert published == [[kept[0].pk]]


def test_bulk_fan_out_inserts_once_and_skips_keys_already_stored(published):
    workshop = WorkshopFactory(contact_email="chairs@fanout.example.org")
    digest_user = UserFactory(notification_prefs={"reminder_bidding": "digest"})
    specs = [
        outbox.MailSpec(
            key=f"fan:{i}", template="test_message", to=f"f{i}@example.org", context={"name": i}
        )
        for i in range(150)
    ]
    specs.append(
        outbox.MailSpec(
            key="fan:digest",
            template="reminder_bidding",
            to=digest_user.email,
            context={"user": digest_user, "missing": 3, "deadline": timezone.now()},
            recipient=digest_user,
        )
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = outbox.mails_queue_bulk(specs, workshop=workshop)
    assert len(created) == 151
    assert [len(batch) for batch in published] == [100, 50], "the digest mail waits"
    row = OutgoingMail.objects.get(key="fan:7")
    assert (row.subject, row.reply_to, row.status) == (
        "Test message for 7",
        "chairs@fanout.example.org",
        MailStatus.QUEUED,
    )
    assert OutgoingMail.objects.get(key="fan:digest").status == MailStatus.DIGEST

    with TestCase.captureOnCommitCallbacks(execute=True):
        again = outbox.mails_queue_bulk(specs[:10], workshop=workshop)
    assert again == [] and len(published) == 2
    assert OutgoingMail.objects.count() == 151


class CountingBackend(EmailBackend):
    """The locmem backend, counting the connections opened."""

    opened = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).opened += 1


@pytest.fixture
def counting(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    return CountingBackend


def test_a_batch_is_claimed_once_and_sent_over_one_connection(
    published, counting, django_assert_max_num_queries
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = [m.pk for m in store(100)]
    # The claim (a locked select and one update), then one mark per message: an UPDATE (on
    # PostgreSQL inside a savepoint with SET LOCAL synchronous_commit, so four statements).
    per_mail = 4 if connection.vendor == "postgresql" else 1
    with django_assert_max_num_queries(100 * per_mail + 6):
        assert outbox.mails_deliver(ids) == {"sent": 100}
    assert counting.opened == 1
    assert len(mail.outbox) == 100
    assert set(OutgoingMail.objects.values_list("status", "attempts")) == {(MailStatus.SENT, 1)}
    assert outbox.mails_deliver(ids) == {"skipped": 100}, "a second run sends nothing"
    assert len(mail.outbox) == 100


def test_a_failed_message_is_retried_alone_and_the_rest_still_go(published, monkeypatch):
    with TestCase.captureOnCommitCallbacks(execute=True):
        mails = store(5)
    flaky = mails[2].to
    original = EmailBackend.send_messages

    def send(self, messages):
        if messages[0].to == [flaky]:
            raise ConnectionResetError("the server hung up")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    assert outbox.mails_deliver([m.pk for m in mails]) == {"sent": 4, "retry": 1}
    failed = OutgoingMail.objects.get(pk=mails[2].pk)
    assert failed.status == MailStatus.QUEUED and failed.attempts == 1
    assert failed.next_attempt_at > timezone.now(), "backoff per message is honoured"
    assert "ConnectionResetError" in failed.last_error
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to for m in mails if m.to != flaky)


def test_a_long_batch_renews_its_claim_and_leaves_a_row_taken_meanwhile(
    published, settings, monkeypatch
):
    """With a claim window of 0 s every message renews the claim first; a row whose claim was
    taken over by another worker (its claimed_at changed) is skipped, not sent twice."""
    settings.OUTBOX_CLAIM_SECONDS = 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        mails = store(4)
    original = EmailBackend.send_messages
    taken = mails[3]

    def send(self, messages):
        if messages[0].to == [mails[0].to]:  # meanwhile, another worker takes the last row
            OutgoingMail.objects.filter(pk=taken.pk).update(
                claimed_at=timezone.now() + dt.timedelta(hours=1)
            )
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    assert outbox.mails_deliver([m.pk for m in mails]) == {"sent": 3, "skipped": 1}
    assert taken.to not in {m.to[0] for m in mail.outbox}
    assert OutgoingMail.objects.get(pk=taken.pk).status == MailStatus.SENDING


def test_the_sweep_delivers_one_batch_and_hands_the_rest_to_the_workers(
    published, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with TestCase.captureOnCommitCallbacks(execute=False):  # the tasks were lost
        ids = [m.pk for m in store(250)]
    make_due(ids)
    published.clear()
    assert outbox.outbox_sweep() == {"sent": 100, "dispatched": 150}
    assert [len(batch) for batch in published] == [100, 50]
    assert len(mail.outbox) == 100


def test_the_sweep_delivers_everything_itself_when_the_broker_is_down(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(outbox, "task_enqueue", lambda task, ids: False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = [m.pk for m in store(150)]
    make_due(ids)
    assert outbox.outbox_sweep() == {"sent": 150}


def test_an_unreachable_server_puts_the_batch_back_without_counting_attempts(published, settings):
    """Connection refused before any message: not the messages' fault. The batch goes back
    (attempts unchanged) for SERVER_RETRY_SECONDS and is published again with a countdown."""
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = [m.pk for m in store(3)]
    published.clear()
    assert outbox.mails_deliver(ids) == {"deferred": 3}
    rows = OutgoingMail.objects.filter(pk__in=ids)
    assert {(r.status, r.attempts) for r in rows} == {(MailStatus.QUEUED, 0)}
    assert all("unreachable" in r.last_error for r in rows)
    soon = timezone.now() + dt.timedelta(seconds=outbox.SERVER_RETRY_SECONDS)
    assert all(r.next_attempt_at <= soon for r in rows)
    assert sorted(published[0]) == sorted(ids)
