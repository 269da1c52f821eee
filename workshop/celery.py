"""The Celery application, configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")

app = Celery("workshop")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A worker outlives a broker outage (issue 30): it reconnects for as long as the outage
# lasts (Celery's default gives up after 100 attempts, a few minutes of backoff, and the
# worker exits), and a task running when the connection is lost runs to its end instead of
# being killed (every task here is idempotent: the message the lost connection could not
# acknowledge comes back and finds its work done). What Celery cannot recover from, the
# supervisor restarts (`bin/worker`, compose's restart policy, systemd).
app.conf.update(
    broker_connection_retry=True,
    broker_connection_max_retries=None,
    broker_channel_error_retry=True,
    worker_cancel_long_running_tasks_on_connection_loss=False,
)
app.autodiscover_tasks()


def _closed_redis_connection_is_a_connection_error() -> None:
    """Work around the worker's exit on a lost Redis connection (celery/kombu 5.7.0).

    After a lost connection the consumer collects the connection (kombu sets the
    transport's `client` to None) and then closes it; closing the default channel restores
    the unacknowledged messages (tasks in flight, acks late), which needs a new Redis
    client, built from `transport.client.hostname`: `AttributeError: 'NoneType' object has
    no attribute 'hostname'`, which no error handler expects, "Unrecoverable error", and the
    worker exits. Raised as the connection error it is, the close is ignored like any other
    on a dead connection and the worker reconnects; the messages it could not restore stay
    in Redis's unacked set, which Redis hands out again after the visibility timeout (and
    the outbox sweep and the pending-checks sweep cover them sooner).
    """
    import redis
    from kombu.transport import redis as kombu_redis

    connparams = kombu_redis.Channel._connparams

    def _connparams_of_a_live_connection(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return connparams(self, asynchronous=asynchronous)

    kombu_redis.Channel._connparams = _connparams_of_a_live_connection


_closed_redis_connection_is_a_connection_error()
