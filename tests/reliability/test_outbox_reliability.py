"""Reliability of the mail outbox and the reminders, with real parts: a private Redis broker
(stopped and started again), real Celery worker processes (one killed with SIGKILL), real
SMTP (aiosmtpd, one that stalls in the middle of a transaction) and PostgreSQL.

Every test counts, at the SMTP server, what arrived per logical message (Message-ID, stable
per outbox key) and per recipient and subject, and prints the figures (run with `-s`):
mails queued, delivered, duplicates (must be 0) and lost (must be 0). A summary of all the
tests is printed at the end of the module.

Needs REDIS_URL and DATABASE_URL (PostgreSQL), like every `services` test; each test starts
its own `redis-server` on a free port and points both this process's Celery app and the
worker at it, so the shared Redis is never stopped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from email.message import Message

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from reviews.models import Assignment
from reviews.reminders import reminders_queue
from reviews.tasks import reminders_tick
from submissions.models import Authorship, Submission, SubmissionStatus, SubmissionType
from submissions.services import authors_replace, submission_file_upload, submission_submit
from submissions.services.authors import AuthorEntry
from submissions.services.lifecycle import submission_create
from tests.factories import MembershipFactory, TopicFactory, UserFactory, WorkshopFactory
from tests.pdfs import make_pdf
from tests.smtp import Inbox, RecordingHandler, free_port, serving, smtp_server
from tests.workers import (
    RedisInstance,
    celery_broker,
    celery_worker,
    redis_instance,
    require_services,
    wait_for,
)
from workshop import outbox
from workshop.celery import app as celery_app
from workshop.models import MailStatus, OutgoingMail, Role, User
from workshop.tasks import outbox_sweep

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CLAIM_SECONDS = 3  # OUTBOX_CLAIM_SECONDS in the workers' environment
WORKER_ENV = {"OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS), "EMAIL_TIMEOUT": "20"}

FIGURES: list[dict] = []


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _figures_summary() -> Iterator[None]:
    yield
    if not FIGURES:
        return
    print("\n=== outbox reliability: figures ===")
    print(f"{'test':<34} {'queued':>6} {'delivered':>9} {'dupes':>5} {'lost':>4} {'secs':>6}")
    for row in FIGURES:
        print(
            f"{row['test']:<34} {row['queued']:>6} {row['delivered']:>9} "
            f"{row['duplicates']:>5} {row['lost']:>4} {row['seconds']:>6.1f}"
        )
    total = {k: sum(r[k] for r in FIGURES) for k in ("queued", "delivered", "duplicates", "lost")}
    print(
        f"{'TOTAL':<34} {total['queued']:>6} {total['delivered']:>9} "
        f"{total['duplicates']:>5} {total['lost']:>4}"
    )


@pytest.fixture
def broker() -> Iterator[RedisInstance]:
    """A private Redis for this test, used by this process's Celery app and the workers."""
    require_services()
    with redis_instance() as redis, celery_broker(redis.url):
        yield redis


def worker_env(redis: RedisInstance, **extra: str) -> dict[str, str]:
    return {**WORKER_ENV, "REDIS_URL": redis.url, **extra}


def worker_ready(timeout: float = 30) -> bool:
    """True once a worker on this process's broker answers a remote-control ping."""
    return wait_for(lambda: bool(celery_app.control.ping(timeout=0.5)), timeout=timeout)


def tally(test: str, mails: Iterable[OutgoingMail], inbox: Inbox, started: float) -> dict:
    """Figures for `mails` (the logical messages) against what the SMTP server accepted."""
    expected = {outbox.message_id_for(m) for m in mails}
    received = Counter(msg["Message-ID"] for msg in inbox.messages)
    delivered = sum(1 for mid in expected if received[mid])
    row = {
        "test": test,
        "queued": len(expected),
        "delivered": delivered,
        "duplicates": sum(received[mid] - 1 for mid in expected if received[mid] > 1),
        "lost": len(expected) - delivered,
        "unexpected": sum(n for mid, n in received.items() if mid not in expected),
        "seconds": time.monotonic() - started,
    }
    FIGURES.append(row)
    print(f"\n[figures] {json.dumps(row, default=str)}")
    return row


def per_recipient_subject(messages: Iterable[Message]) -> Counter:
    return Counter((msg["To"], msg["Subject"]) for msg in messages)


def sleep_until(moment: dt.datetime) -> None:
    delay = (moment - timezone.now()).total_seconds()
    if delay > 0:
        time.sleep(delay)


# --- 1. The broker is down while an author submits -------------------------------------------


def submit_with_broker_down(
    broker: RedisInstance, coauthors: list[str], on_broker_down: Callable[[], None] = lambda: None
) -> tuple[Submission, User, dict[str, float]]:
    """Stop `broker`, then (after `on_broker_down()`) create, list the authors, upload and
    submit a paper through the services (each one a request's transaction, committed:
    on-commit callbacks run for real). Returns the submission, its submitting author and how
    long each step took."""
    workshop = WorkshopFactory(short_name="RELY")
    topic = TopicFactory(workshop=workshop, name="Evaluation")
    stype = SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    author = UserFactory(name="Ada Author", email="ada@uni-a.example.edu")

    broker.stop()
    assert not broker.ping()
    on_broker_down()
    timings: dict[str, float] = {}

    def timed(name, fn, **kwargs):
        t = time.monotonic()
        result = fn(**kwargs)
        timings[name] = time.monotonic() - t
        return result

    submission = timed(
        "create",
        submission_create,
        workshop=workshop,
        user=author,
        title="Outbox under outage",
        abstract="What happens to mail when the broker is down.",
        primary_topic=topic,
        submission_type=stype,
    )
    entries = [AuthorEntry("Ada Author", author.email, "Uni A", is_contact=True)]
    entries += [AuthorEntry(f"Co Author {i}", email, "Uni B") for i, email in enumerate(coauthors)]
    timed("authors", authors_replace, submission=submission, user=author, entries=entries)
    pdf = SimpleUploadedFile("paper.pdf", make_pdf(pages=2), "application/pdf")
    timed(
        "upload",
        submission_file_upload,
        submission=submission,
        user=author,
        kind="paper",
        upload=pdf,
    )
    timed("submit", submission_submit, submission=submission, user=author)
    print(f"\n[timings with Redis down] {', '.join(f'{k} {v:.2f}s' for k, v in timings.items())}")
    submission.refresh_from_db()
    return submission, author, timings


def test_redis_down_no_request_waits_for_the_broker(broker, monkeypatch):
    """A request that queues mail must not wait for a broker that is down, however many
    authors get a receipt: measured by what is called, not by the clock. Across the four
    requests (create, authors, upload, submit: eight mails) the broker is tried by one
    publish, without publish retries, its connection attempts bounded by the connect timeout
    (kombu retries a connect within BROKER_CONNECTION_TIMEOUT, 2 s, at most); after that
    failure every enqueue skips the broker (the outbox backoff) and leaves the row to the
    sweep, and nothing else in a request connects to the broker."""
    import redis.connection
    from celery.app.task import Task

    require_services()
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    publishes: list[dict] = []
    connects: list[tuple[str, float | None]] = []
    publishing: list[str] = []
    apply_async = Task.apply_async
    connect = redis.connection.Connection._connect

    def spy_apply_async(self, args=None, kwargs=None, **options):
        publishes.append({"task": self.name, "retry": options.get("retry")})
        publishing.append(self.name)
        try:
            return apply_async(self, args, kwargs, **options)
        finally:
            publishing.pop()

    def spy_connect(self):
        if int(self.port) == broker.port:
            connects.append((publishing[-1] if publishing else "", self.socket_connect_timeout))
        return connect(self)

    def spy() -> None:
        monkeypatch.setattr(Task, "apply_async", spy_apply_async)
        monkeypatch.setattr(redis.connection.Connection, "_connect", spy_connect)

    coauthors = ["bo@uni-b.example.edu", "cy@uni-c.example.edu"]
    submission, _author, timings = submit_with_broker_down(broker, coauthors, spy)
    print(f"\n[with Redis down] publishes {publishes}, broker connects {connects}, {timings}")

    assert submission.status == SubmissionStatus.SUBMITTED
    mails = OutgoingMail.objects.all()
    assert mails.count() == 3 + 2 + 3  # authors-change receipts, co-author invites, receipts
    assert set(mails.values_list("status", flat=True)) == {MailStatus.QUEUED}
    assert publishes == [{"task": "workshop.tasks.outbox_deliver_batch", "retry": False}], (
        "one publish attempt, without retries; every later enqueue skips the broker"
    )
    assert connects, "the publish must have tried the broker"
    assert {task for task, _timeout in connects} == {"workshop.tasks.outbox_deliver_batch"}, (
        "nothing but that publish may connect to the broker"
    )
    assert all(t is not None and t <= 2 for _task, t in connects), f"unbounded: {connects}"
    connect_timeout = celery_app.connection_for_write().connect_timeout
    assert connect_timeout is not None and connect_timeout <= 2, "kombu's retry window"
    assert len(connects) <= 2, "kombu retries a connect every 2 s within a 2 s window"


def test_redis_down_while_an_author_submits_receipts_arrive_once_after_the_sweep(broker):
    """With the broker stopped, create + authors + upload + submit all succeed (the on-commit
    enqueue fails, is logged and the rows stay `queued`); once Redis is back the sweep
    delivers every message exactly once, and a second sweep sends nothing more.

    That the requests do not wait for the broker is asserted by the test above, by what they
    call; here they only have to complete."""
    require_services()
    started = time.monotonic()
    coauthor_email = "bo@uni-b.example.edu"
    submission, author, timings = submit_with_broker_down(broker, [coauthor_email])
    # Every request completed (how long they took is printed, never asserted: that none
    # waits for the broker is asserted by what they call, in the test above).
    assert set(timings) == {"create", "authors", "upload", "submit"}

    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    mails = list(OutgoingMail.objects.order_by("pk"))
    receipts = [m for m in mails if m.key.startswith("receipt:") and "submitted" in m.subject]
    assert sorted(m.to for m in receipts) == sorted([author.email, coauthor_email])
    assert {m.status for m in mails} == {MailStatus.QUEUED}, "every row waits for the sweep"
    assert all(m.attempts == 0 for m in mails)

    # Redis comes back on the same port; the sweep leaves rows alone until they are older than
    # SWEEP_SETTLE (the on-commit task's head start), so the outage "lasts" that long.
    broker.start()
    sleep_until(
        max(m.next_attempt_at for m in mails) + outbox.SWEEP_SETTLE + dt.timedelta(seconds=1)
    )
    outbox_sweep.delay()
    assert broker.llen("mail") == 1, "the sweep task must land in this test's Redis"

    with smtp_server() as inbox, celery_worker(inbox.url, extra_env=worker_env(broker)):
        assert wait_for(lambda: len(inbox.messages) >= len(mails), timeout=40), (
            f"only {len(inbox.messages)} of {len(mails)} delivered"
        )
        assert wait_for(
            lambda: not OutgoingMail.objects.exclude(status=MailStatus.SENT).exists(), timeout=10
        )
        outbox_sweep.delay()  # a second sweep (beat firing again) finds nothing to send
        assert wait_for(lambda: broker.llen("mail") == 0, timeout=10)
        time.sleep(3)
        messages = list(inbox.messages)

    figures = tally("1 redis down during submit", mails, inbox, started)
    for m in OutgoingMail.objects.all():
        assert (m.status, m.attempts) == (MailStatus.SENT, 1), m.key
    counts = per_recipient_subject(messages)
    for receipt in receipts:
        assert counts[(receipt.to, receipt.subject)] == 1, receipt.to
    assert max(counts.values()) == 1
    assert (figures["duplicates"], figures["lost"], figures["unexpected"]) == (0, 0, 0)
    assert figures["delivered"] == len(mails) >= 4


# --- 2. A worker is killed in the middle of an SMTP transaction ------------------------------


class StallingHandler(RecordingHandler):
    """Records accepted messages; while `stall` is set, RCPT TO hangs (before any DATA, so a
    client that dies meanwhile has had nothing accepted)."""

    STALL_MAX = 30.0

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.stall = True
        self.rcpt_started = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.rcpt_started += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.STALL_MAX
        while self.stall and loop.time() < deadline:
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def release_all(self) -> None:
        self.stall = False


@contextmanager
def stalling_smtp_server() -> Iterator[tuple[Inbox, StallingHandler]]:
    handler = StallingHandler(Inbox("127.0.0.1", free_port()))
    with serving(handler) as inbox:
        yield inbox, handler


def test_worker_killed_mid_smtp_the_claim_expires_and_the_mail_is_sent_once(broker):
    """Worker 1 claims the row and hangs in RCPT TO; it is killed (SIGKILL). Nothing was
    accepted by the server, the row stays `sending` and, with acks late, the task message is
    left unacknowledged in Redis. Worker 2 plus the sweep retry the row once the claim is older
    than OUTBOX_CLAIM_SECONDS: it is delivered exactly once, on attempt 2. The task message
    Redis would hand out again after its visibility timeout (1 h) then runs as a no-op.

    The window this design cannot close: between the server's final "250 OK" after DATA (the
    message is accepted) and the UPDATE that marks the row `sent`. A worker dying (or the
    database being unreachable) exactly there leaves the row `sending`; after
    OUTBOX_CLAIM_SECONDS the sweep sends it again, so the recipient gets it twice. SMTP has no
    two-phase commit with our database, so at-least-once is the best possible here; what
    limits the harm is the Message-ID header, derived from the outbox key only
    (`outbox.message_id_for`), so both copies carry the same Message-ID and a receiving
    system or mail client that de-duplicates by Message-ID (many do, e.g. Gmail, Sieve's
    duplicate extension, procmail's formail -D) shows the message once.
    """
    require_services()
    started = time.monotonic()
    with stalling_smtp_server() as (inbox, handler):
        mail, _ = outbox.mail_queue(
            key="reliability:killed-worker",
            template="test_message",
            to="kim@example.org",
            context={"name": "Kim"},
        )
        assert broker.llen("mail") == 1, "the on-commit task must land in this test's Redis"

        with celery_worker(inbox.url, extra_env=worker_env(broker)) as worker1:
            assert wait_for(
                lambda: (
                    OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).exists()
                    and handler.rcpt_started >= 1
                ),
                timeout=40,
            ), "worker 1 did not claim the row and reach RCPT TO"
            os.kill(worker1.pid, signal.SIGKILL)  # --pool=solo: this process does the sending
            worker1.wait(timeout=10)
        time.sleep(0.5)
        assert inbox.messages == [], "no message may have been accepted"
        mail.refresh_from_db()
        assert (mail.status, mail.attempts) == (MailStatus.SENDING, 1)
        client = broker.client()
        assert client.hlen("unacked") == 1, "acks late: the killed worker's task is not acked"
        assert broker.llen("mail") == 0

        handler.stall = False
        with celery_worker(inbox.url, extra_env=worker_env(broker)):
            sleep_until(mail.claimed_at + dt.timedelta(seconds=CLAIM_SECONDS, milliseconds=300))
            outbox_sweep.delay()
            assert wait_for(lambda: len(inbox.messages) >= 1, timeout=30), "not re-delivered"
            assert wait_for(
                lambda: OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.SENT).exists(),
                timeout=10,
            )

            # What Redis does after the visibility timeout: hand the unacked task out again.
            # (the outbox's delivery task: other tasks of the flow may be unacked beside it)
            unacked = [json.loads(raw) for raw in client.hvals("unacked")]
            payload, _exchange, routing_key = next(
                entry for entry in unacked if "outbox_deliver" in json.dumps(entry[0]["headers"])
            )
            client.lpush(routing_key or "celery", json.dumps(payload))
            assert wait_for(
                lambda: broker.llen("mail") == 0 and client.hlen("unacked") == 0, timeout=15
            ), "worker 2 did not run the redelivered task"
            outbox_sweep.delay()
            assert wait_for(lambda: broker.llen("mail") == 0, timeout=10)
            time.sleep(2)
            messages = list(inbox.messages)

    figures = tally("2 worker killed mid-SMTP", [mail], inbox, started)
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == (MailStatus.SENT, 2)
    assert [m["Message-ID"] for m in messages] == [outbox.message_id_for(mail)]
    assert per_recipient_subject(messages) == {("kim@example.org", mail.subject): 1}
    assert (figures["delivered"], figures["duplicates"], figures["lost"]) == (1, 0, 0)


class StallAtHandler(StallingHandler):
    """Accepts messages until the `at`-th RCPT TO, which hangs while `stall` is set."""

    def __init__(self, inbox: Inbox, at: int) -> None:
        super().__init__(inbox)
        self.at = at

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.rcpt_started += 1
        if self.rcpt_started == self.at:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.STALL_MAX
            while self.stall and loop.time() < deadline:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_worker_killed_mid_batch_every_mail_of_the_batch_is_delivered_once(broker):
    """Thirty mails stored in one transaction travel as one batch task over one SMTP
    connection. The worker is killed (SIGKILL) in the middle of the eleventh message: the ten
    accepted before were each marked sent at once, so only the eleventh and the nineteen not
    yet tried wait for their claims to expire; a second worker and the sweep send them, and
    every message of the batch arrives exactly once."""
    require_services()
    started = time.monotonic()
    handler = StallAtHandler(Inbox("127.0.0.1", free_port()), at=11)
    with serving(handler) as inbox:
        with transaction.atomic():
            mails = [
                outbox.mail_queue(
                    key=f"reliability:batch:{i}",
                    template="test_message",
                    to=f"member{i}@example.org",
                    context={"name": f"Member {i}"},
                )[0]
                for i in range(30)
            ]
        assert broker.llen("mail") == 1, "one batch task for the thirty mails"

        with celery_worker(inbox.url, extra_env=worker_env(broker)) as worker1:
            assert wait_for(lambda: handler.rcpt_started >= 11, timeout=40), "no stall reached"
            os.kill(worker1.pid, signal.SIGKILL)
            worker1.wait(timeout=10)
        statuses = Counter(OutgoingMail.objects.values_list("status", flat=True))
        assert len(inbox.messages) == 10
        assert statuses == {MailStatus.SENT: 10, MailStatus.SENDING: 20}

        handler.stall = False
        with celery_worker(inbox.url, extra_env=worker_env(broker)):
            time.sleep(CLAIM_SECONDS + 0.5)
            outbox_sweep.delay()
            assert wait_for(lambda: len(inbox.messages) >= 30, timeout=40), (
                f"only {len(inbox.messages)} of 30 delivered"
            )
            assert wait_for(
                lambda: not OutgoingMail.objects.exclude(status=MailStatus.SENT).exists(),
                timeout=10,
            )
            outbox_sweep.delay()  # beat again: nothing left to send
            time.sleep(2)
            messages = list(inbox.messages)

    figures = tally("2b worker killed mid-batch", mails, inbox, started)
    assert (figures["delivered"], figures["duplicates"], figures["lost"]) == (30, 0, 0)
    assert max(per_recipient_subject(messages).values()) == 1
    attempts = Counter(OutgoingMail.objects.values_list("attempts", flat=True))
    assert attempts == {1: 10, 2: 20}


# --- 3. Beat fires the reminder task twice for the same moment -------------------------------


def test_reminder_tick_fired_twice_and_in_process_sends_each_reminder_once(broker):
    """Two `reminders_tick` tasks on a two-process worker and two in-process
    `reminders_queue()` calls race for the same "reviews due in 1 day" reminders: each key
    exists once and each reviewer receives exactly one reminder."""
    require_services()
    started = time.monotonic()
    now = timezone.now().replace(microsecond=0)
    day = dt.timedelta(days=1)
    workshop = WorkshopFactory(
        short_name="RMND",
        submission_opens=now - 30 * day,
        paper_deadline=now - 20 * day,
        bidding_deadline=now - 10 * day,
        review_deadline=now + day - dt.timedelta(hours=1),  # the "1 day before" step is due
        notification_date=now + 10 * day,
        camera_ready_deadline=now + 20 * day,
    )
    author = UserFactory(name="Paper Author", email="author@papers.example.org")
    reviewers = [
        UserFactory(name="Rae Viewer", email="rae@rev-one.example.org"),
        UserFactory(name="Rex Viewer", email="rex@rev-two.example.org"),
    ]
    papers = []
    for number in (1, 2):
        paper = Submission.objects.create(
            workshop=workshop,
            number=number,
            title=f"Paper {number}",
            abstract="About reminders.",
            status=SubmissionStatus.SUBMITTED,
            submitted_at=now - 25 * day,
            created_by=author,
        )
        Authorship.objects.create(
            submission=paper, position=1, name=author.name, email=author.email, is_contact=True
        )
        papers.append(paper)
    for reviewer in reviewers:
        MembershipFactory(workshop=workshop, user=reviewer, role=Role.REVIEWER)
        for paper in papers:
            Assignment.objects.create(submission=paper, reviewer=reviewer, role=Role.REVIEWER)

    in_process: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def queue_in_process() -> None:
        try:
            barrier.wait(timeout=10)
            in_process.append(reminders_queue())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    with (
        smtp_server() as inbox,
        celery_worker(inbox.url, extra_env=worker_env(broker), pool="prefork", concurrency=2),
    ):
        assert worker_ready(), "the worker did not answer a ping"
        threads = [threading.Thread(target=queue_in_process) for _ in range(2)]
        for t in threads:
            t.start()
        reminders_tick.delay()
        reminders_tick.delay()
        barrier.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert wait_for(lambda: len(inbox.messages) >= 2, timeout=30), "reminders not delivered"
        assert wait_for(
            lambda: OutgoingMail.objects.filter(status=MailStatus.SENT).count() >= 2, timeout=10
        )
        assert wait_for(lambda: broker.llen("mail") == 0, timeout=10)
        time.sleep(3)  # let any straggling task or duplicate delivery arrive
        messages = list(inbox.messages)

    mails = list(OutgoingMail.objects.filter(kind="reminder_review_due"))
    figures = tally("3 reminder tick x2 + in-process x2", mails, inbox, started)
    print(f"[reminders_queue() in process returned] {in_process}")
    expected_keys = {f"reminder:review_due:{workshop.pk}:1d:{r.email}" for r in reviewers}
    assert {m.key for m in mails} == expected_keys
    assert OutgoingMail.objects.count() == 2, "nothing but the two reminders"
    assert all((m.status, m.attempts) == (MailStatus.SENT, 1) for m in mails)
    counts = Counter(msg["To"] for msg in messages)
    assert counts == {r.email: 1 for r in reviewers}
    assert all("Reviews due in 1 day" in msg["Subject"] for msg in messages)
    assert (figures["delivered"], figures["duplicates"], figures["lost"]) == (2, 0, 0)
    assert figures["unexpected"] == 0
