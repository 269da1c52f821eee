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
def celery_worker(email_url: str, *, queue: str | None = None, extra_env: dict | None = None
                  ) -> Iterator[subprocess.Popen]:  # fmt: skip
    """A `celery worker` subprocess using the test database; stopped on exit."""
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
    cmd = [sys.executable, "-m", "celery", "-A", "workshop", "worker", "--pool=solo"]
    cmd += ["--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    if queue:
        cmd += ["-Q", queue]
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
