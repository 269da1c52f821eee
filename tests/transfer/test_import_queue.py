"""Transfer jobs on their own queue (issue 30, finding 8): imports, exports and restores run
on `transfer`, never behind or in front of mail and checks; they are published through the
outbox's guarded path (a broker that is down costs the request nothing); a sweep finds a
job whose task was lost (queued and never started, or running with no heartbeat), queues
it again or fails it with a clear message; a run the sweep gave up cannot overwrite its
successor's outcome; progress reaches the job's row between committed chunks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from tests.factories import TopicFactory, WorkshopFactory, make_chair
from transfer import committee, services
from transfer.models import JobKind, JobStatus, TransferJob
from transfer.tasks import transfer_job_task, transfer_jobs_sweep
from workshop import outbox
from workshop.celery import app

pytestmark = pytest.mark.django_db

PC = b"email,first,last,roles\n" + b"".join(
    f"q{i}@pc.example.org,Q,{i},pc\n".encode() for i in range(7)
)


@pytest.fixture
def world():
    workshop = WorkshopFactory(slug="queue-ws")
    TopicFactory(workshop=workshop, name="Efficiency")
    return {"ws": workshop, "chair": make_chair(workshop)}


@pytest.fixture
def queued(monkeypatch):
    """The ids `_enqueue` publishes, instead of publishing them."""
    ids: list[int] = []
    monkeypatch.setattr(services, "_enqueue", lambda job_id: ids.append(job_id) or True)
    return ids


def job(world, status=JobStatus.PENDING, **fields) -> TransferJob:
    made = TransferJob.objects.create(
        workshop=world["ws"], kind=JobKind.IMPORT, format="hotcrp-pc", created_by=world["chair"],
        status=status, **fields,
    )  # fmt: skip
    cache.delete_many([f"transfer-requeue:{made.pk}", f"transfer-heartbeat:{made.pk}"])
    return made


def test_transfer_tasks_have_a_queue_of_their_own(settings):
    for task in (transfer_job_task, transfer_jobs_sweep):
        assert app.amqp.router.route({}, task.name)["queue"].name == "transfer"
    assert "transfer" in settings.CELERY_QUEUE_NAMES
    sweep = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == transfer_jobs_sweep.name
    ]
    assert sweep and sweep[0]["schedule"] <= 60


def test_a_job_is_published_through_the_guarded_path(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A broker that is down at upload time: the upload succeeds, the job waits for the
    sweep (before: `.delay()` raised out of the request)."""
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)

    def down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(transfer_job_task, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        made = services.transfer_job_create(
            workshop=world["ws"], chair=world["chair"], kind=JobKind.IMPORT, fmt="hotcrp-pc",
            data=PC,
        )  # fmt: skip
    assert len(callbacks) == 1
    made.refresh_from_db()
    assert made.status == JobStatus.PENDING


def test_a_job_never_started_is_queued_again_once_per_period(world, queued):
    now = timezone.now()
    old = job(world)
    TransferJob.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(minutes=11))
    fresh = job(world)
    assert transfer_jobs_sweep.run() == {"requeued": 1, "restarted": 0, "failed": 0}
    assert queued == [old.pk]
    assert services.transfer_jobs_sweep(now=now)["requeued"] == 0  # not again at once
    assert fresh.pk not in queued


def test_a_running_job_without_heartbeat_restarts_then_fails_with_a_clear_message(world, queued):
    now = timezone.now()
    lost = job(world, status=JobStatus.RUNNING, started_at=now - dt.timedelta(minutes=11))
    alive = job(world, status=JobStatus.RUNNING, started_at=now - dt.timedelta(minutes=30))
    cache.set(f"transfer-heartbeat:{alive.pk}", now.timestamp() - 5, 600)
    for attempt in range(1, services.RESTARTS + 1):
        assert services.transfer_jobs_sweep(now=now)["restarted"] == 1
        lost.refresh_from_db()
        assert lost.status == JobStatus.PENDING and lost.report == {"restarts": attempt}
        assert queued[-1] == lost.pk
        # the requeued task starts and its worker is lost again
        TransferJob.objects.filter(pk=lost.pk).update(
            status=JobStatus.RUNNING, started_at=now - dt.timedelta(minutes=11)
        )
    assert services.transfer_jobs_sweep(now=now) == {"requeued": 0, "restarted": 0, "failed": 1}
    lost.refresh_from_db()
    assert lost.status == JobStatus.FAILED and not lost.report["ok"]
    assert "worker running it was lost" in lost.report["errors"][0]["message"]
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING


def test_a_run_given_up_for_lost_cannot_overwrite_its_successor(world, monkeypatch):
    made = job(world, upload="transfer/x.csv")
    made.upload.save("pc.csv", services.ContentFile(PC))

    def import_meanwhile_given_up(**kwargs):
        # the sweep took this run for lost and queued the job again
        TransferJob.objects.filter(pk=made.pk).update(status=JobStatus.PENDING, report={})
        return services.Report()

    monkeypatch.setattr(services, "run_import", import_meanwhile_given_up)
    assert services.transfer_job_run(made.pk) == "superseded"
    made.refresh_from_db()
    assert made.status == JobStatus.PENDING and made.finished_at is None
    monkeypatch.undo()
    assert services.transfer_job_run(made.pk) == JobStatus.DONE
    assert services.transfer_job_run(made.pk) == "skipped"  # a second delivery


@pytest.mark.django_db(transaction=True)
def test_progress_reaches_the_jobs_row_chunk_by_chunk(world, monkeypatch):
    """Outside a transaction (the plan; SQLite's committed chunks) each chunk writes the
    job's progress to its row, which other connections read."""
    monkeypatch.setattr(committee, "CHUNK", 2)
    made = job(world)
    made.upload.save("pc.csv", services.ContentFile(PC))
    written: list[tuple[bool, list]] = []

    def record(execute, sql, params, many, context):
        if sql.startswith('UPDATE "transfer_transferjob" SET "progress_done"'):
            written.append((connection.in_atomic_block, list(params[:2])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert services.transfer_job_run(made.pk) == JobStatus.DONE
    assert written[:4] == [(False, [2, 7]), (False, [4, 7]), (False, [6, 7]), (False, [7, 7])]
    made.refresh_from_db()
    assert made.report["ok"] and made.progress_done == made.progress_total == 7
