"""Tasks are routed by kind: mail, file checks, matching and the rest on separate queues."""

from __future__ import annotations

import pytest

from reviews.tasks import (
    embeddings_sweep_task,
    matching_run_task,
    reminders_tick,
    review_copy_make_task,
    text_embeddings_task,
)
from submissions.tasks import (
    pending_checks_sweep,
    proceedings_build_task,
    submission_file_check_task,
)
from tests.workers import celery_broker, redis_instance, require_services
from workshop.celery import app
from workshop.tasks import digests_send, outbox_deliver, outbox_deliver_batch, outbox_sweep

EXPECTED = {
    outbox_deliver: "mail",
    outbox_deliver_batch: "mail",
    outbox_sweep: "mail",
    digests_send: "mail",
    reminders_tick: "mail",
    submission_file_check_task: "checks",
    pending_checks_sweep: "checks",
    review_copy_make_task: "checks",
    matching_run_task: "matching",
    text_embeddings_task: "matching",
    embeddings_sweep_task: "matching",
    proceedings_build_task: "celery",
}


def queue_of(task) -> str:
    route = app.amqp.router.route({}, task.name, args=(1,), kwargs={})
    return route["queue"].name


@pytest.mark.parametrize("task", EXPECTED, ids=lambda task: task.name)
def test_every_task_has_the_queue_of_its_kind(task):
    assert queue_of(task) == EXPECTED[task]


def test_every_registered_task_of_ours_is_listed_here():
    ours = {
        name for name in app.tasks if name.split(".")[0] in {"workshop", "submissions", "reviews"}
    }
    assert ours == {task.name for task in EXPECTED}


@pytest.mark.services
def test_published_tasks_land_on_their_queues_in_redis():
    """Through a real (private) broker: a mail task in `mail`, a check in `checks`."""
    require_services()
    with redis_instance() as redis, celery_broker(redis.url):
        outbox_deliver.apply_async((1,))
        submission_file_check_task.apply_async((2,))
        submission_file_check_task.apply_async((3,))
        matching_run_task.apply_async((4,))
        assert (redis.llen("mail"), redis.llen("checks"), redis.llen("matching")) == (1, 2, 1)
        assert redis.llen("celery") == 0
