"""Redis is a helper, not a single point of failure.

Everything that uses Redis in this process (the cache, and with it the `cached_db` sessions
and the rate limits, and the Celery broker) is moved to a private `redis-server`, which is
then stopped in the middle of an author's visit. Through the full HTTP stack (middleware,
sessions, CSRF enforced as a browser meets it), signing in, browsing, creating a paper,
uploading its PDF and submitting it must all succeed; the receipts wait in the outbox and go
out exactly once after Redis returns. The health check reports Redis as degraded, not the
site as down.

Needs REDIS_URL and DATABASE_URL (PostgreSQL), like every `services` test.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from submissions.models import Submission, SubmissionStatus, SubmissionType
from tests.factories import PASSWORD, TopicFactory, UserFactory, WorkshopFactory
from tests.pdfs import make_pdf
from tests.smtp import smtp_server
from tests.workers import (
    RedisInstance,
    celery_broker,
    celery_worker,
    redis_instance,
    require_services,
    wait_for,
)
from workshop import outbox
from workshop.cache import breaker
from workshop.models import MailStatus, OutgoingMail
from workshop.tasks import outbox_sweep

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def redis() -> Iterator[RedisInstance]:
    """Cache, sessions and broker of this process on one private Redis."""
    require_services()
    with redis_instance() as instance, celery_broker(instance.url):
        caches = {
            "default": {
                "BACKEND": "workshop.cache.ResilientRedisCache",
                "LOCATION": instance.url,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
            }
        }
        with override_settings(CACHES=caches, REDIS_URL=instance.url):
            breaker.reset()
            yield instance
            breaker.reset()


def csrf_of(response) -> str:
    match = CSRF.search(response.content.decode())
    assert match, f"no CSRF token on {response.request['PATH_INFO']}"
    return match.group(1)


def sign_in(client: Client, email: str) -> None:
    login = client.get(reverse("account_login"))
    assert login.status_code == 200
    response = client.post(
        reverse("account_login"),
        {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(login)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_redis_stopped_mid_visit_nothing_fails_and_mail_goes_out_once_after(redis):
    workshop = WorkshopFactory(short_name="OUTAGE")
    topic = TopicFactory(workshop=workshop, name="Evaluation")
    stype = SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    author = UserFactory(name="Ada Author", email="ada@uni-a.example.edu")
    other = UserFactory(name="Bo Browser", email="bo@uni-b.example.edu")

    client = Client(enforce_csrf_checks=True)
    sign_in(client, author.email)
    assert client.get(reverse("submissions:dashboard")).status_code == 200
    assert redis.client().dbsize() > 0, "the session and cache must have been in this Redis"

    redis.stop()
    assert not redis.ping()
    codes: Counter = Counter()

    def get(url: str):
        response = client.get(url)
        codes[response.status_code] += 1
        assert response.status_code == 200, (url, response.status_code)
        return response

    def post(url: str, data: dict, form):
        response = client.post(url, {**data, "csrfmiddlewaretoken": csrf_of(form)})
        codes[response.status_code] += 1
        assert response.status_code == 302, (url, response.status_code)
        return response

    # Browsing while Redis is down: the session is read from the database.
    get(reverse("home"))
    get(reverse("submissions:dashboard"))
    form = get(reverse("submissions:new", args=[workshop.slug]))
    post(
        reverse("submissions:new", args=[workshop.slug]),
        {
            "title": "Working through an outage",
            "abstract": "Redis went away; the authors did not notice.",
            "submission_type": stype.pk,
            "primary_topic": topic.pk,
            "llm_use": "none",
        },
        form,
    )
    submission = Submission.objects.get(workshop=workshop)
    detail = get(reverse("submissions:detail", args=[submission.pk]))
    pdf = SimpleUploadedFile("paper.pdf", make_pdf(pages=2), "application/pdf")
    post(reverse("submissions:upload", args=[submission.pk, "paper"]), {"file": pdf}, detail)
    detail = get(reverse("submissions:detail", args=[submission.pk]))
    post(reverse("submissions:submit", args=[submission.pk]), {}, detail)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED

    # A second person signs in while Redis is still down (rate limits degrade, not fail).
    second = Client(enforce_csrf_checks=True)
    sign_in(second, other.email)
    assert second.get(reverse("submissions:dashboard")).status_code == 200

    health = client.get(reverse("healthz"))
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "redis": "degraded"}
    print(f"\n[requests with Redis down] {dict(codes)}")
    assert set(codes) <= {200, 302}

    mails = list(OutgoingMail.objects.order_by("pk"))
    assert mails and {m.status for m in mails} == {MailStatus.QUEUED}

    # Redis returns; the beat's sweep hands the waiting rows to a worker, once.
    redis.start()
    settle = max(m.next_attempt_at for m in mails) + outbox.SWEEP_SETTLE + dt.timedelta(seconds=1)
    time.sleep(max(0.0, (settle - timezone.now()).total_seconds()))
    outbox_sweep.delay()
    env = {"OUTBOX_CLAIM_SECONDS": "3", "REDIS_URL": redis.url}
    with smtp_server() as inbox, celery_worker(inbox.url, extra_env=env):
        assert wait_for(lambda: len(inbox.messages) >= len(mails), timeout=60)
        assert wait_for(
            lambda: not OutgoingMail.objects.exclude(status=MailStatus.SENT).exists(), timeout=10
        )
        outbox_sweep.delay()  # the beat firing again finds nothing to send
        time.sleep(3)
        received = Counter(msg["Message-ID"] for msg in inbox.messages)
    expected = {outbox.message_id_for(m) for m in mails}
    assert set(received) == expected
    assert max(received.values()) == 1, "a mail was sent twice"

    assert client.get(reverse("healthz")).json() == {"status": "ok", "redis": "ok"}
