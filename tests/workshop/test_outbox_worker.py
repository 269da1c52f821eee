"""With REDIS_URL set: a real Celery worker process delivers outbox mail over real SMTP."""

from __future__ import annotations

import pytest

from tests.smtp import smtp_server
from tests.workers import (
    celery_broker,
    celery_worker,
    redis_instance,
    require_services,
    wait_for,
)
from workshop import outbox
from workshop.models import MailStatus, OutgoingMail

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_real_worker_delivers_a_queued_message():
    require_services()
    # A broker of its own: on the shared one, a worker that another test process starts at
    # the same moment (its own test database) could take this task and find no such mail.
    with (
        redis_instance() as redis,
        celery_broker(redis.url),
        smtp_server() as inbox,
        celery_worker(inbox.url, extra_env={"REDIS_URL": redis.url}),
    ):
        m, _ = outbox.mail_queue(
            key="worker:1", template="test_message", to="ann@example.org", context={"name": "Ann"}
        )
        assert wait_for(lambda: len(inbox.messages) >= 1, timeout=60), "worker did not deliver"
        # The worker marks the message sent after the server took it (a moment later, on a
        # busy machine): wait for the mark, then check it.
        wait_for(lambda: OutgoingMail.objects.get(pk=m.pk).status == MailStatus.SENT, timeout=30)
        m.refresh_from_db()
        assert m.status == MailStatus.SENT
    assert [msg["Subject"] for msg in inbox.messages] == ["Test message for Ann"]
    assert OutgoingMail.objects.get(pk=m.pk).attempts == 1
