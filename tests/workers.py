"""Start a real Celery worker process against the test database and the Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def require_services() -> None:
    """Skip unless PostgreSQL and Redis are configured (the worker needs a shared DB)."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (a real broker); CI sets it")
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL; CI sets it")


def test_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def celery_worker(
    email_url: str,
    *,
    queue: str | None = None,
    extra_env: dict | None = None,
    pool: str = "solo",
    concurrency: int = 1,
) -> Iterator[subprocess.Popen]:
    """A `celery worker` subprocess using the test database; stopped on exit.

    `pool`/`concurrency`: e.g. "prefork", 2 to run two tasks at the same time.
    """
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "EMAIL_URL": email_url,
        "OUTBOX_CLAIM_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log = open(ROOT / "test-artifacts" / "worker.log", "ab")  # noqa: SIM115 - closed below
    cmd = [sys.executable, "-m", "celery", "-A", "workshop", "worker", f"--pool={pool}"]
    cmd += [f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
    cmd += ["--loglevel=INFO"]
    # Every queue unless told otherwise (settings.CELERY_TASK_ROUTES sends tasks by kind).
    cmd += ["-Q", queue or ",".join(settings.CELERY_QUEUE_NAMES)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class RedisInstance:
    """A private `redis-server` on a free port (no persistence) that can be stopped and
    started again on the same port, to play a broker outage without touching the shared one.
    """

    def __init__(self, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries: redis-py's default retries with backoff would make `ping()` of a stopped
        # server take seconds (and count as connection attempts to the broker).
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=2, retry=Retry(NoBackoff(), 0)
        )

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:  # noqa: BLE001 - any failure means "not up"
            return False

    def start(self) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        cmd += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        cmd += ["--dir", str(self.workdir), "--loglevel", "warning"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(self.ping, timeout=10, interval=0.05):
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Shut the server down (nothing saved) and wait until the port refuses connections."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def llen(self, key: str = "mail") -> int:
        """Messages waiting in a queue (mail tasks are routed to `mail`)."""
        return int(self.client().llen(key))


@contextmanager
def redis_instance() -> Iterator[RedisInstance]:
    """A private Redis on a free port, always stopped on exit."""
    import tempfile

    from tests.smtp import free_port

    with tempfile.TemporaryDirectory(prefix="redis-") as workdir:
        instance = RedisInstance(free_port(), Path(workdir))
        instance.start()
        try:
            yield instance
        finally:
            instance.stop()


def _celery_pools_reset(app) -> None:
    """Close every cached broker connection and producer, so the next publish reconnects."""
    from kombu import pools

    pools.reset()  # closes and forgets the connection and producer pools of every broker
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (what `.delay()` and on-commit enqueues use) at `url`;
    the previous broker and fresh connection pools are restored on exit."""
    from workshop.celery import app

    previous = app.conf.broker_url
    _celery_pools_reset(app)
    app.conf.broker_url = url
    try:
        yield
    finally:
        _celery_pools_reset(app)
        app.conf.broker_url = previous
