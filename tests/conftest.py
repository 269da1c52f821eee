from __future__ import annotations

import copy
import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from workshop.celery import app as celery_app


@pytest.fixture(scope="session", autouse=True)
def _redis_cache_per_xdist_worker():
    """With `-n 2` (make test), each worker clears the cache before every test: on a shared
    Redis database one worker's clear would wipe the other's sessions and rate limits in the
    middle of a test. Worker gwN uses database (base - N) of the same server."""
    from django.conf import settings
    from django.test.utils import override_settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    location = settings.CACHES["default"].get("LOCATION", "")
    if not worker.startswith("gw") or not str(location).startswith("redis"):
        yield
        return
    parts = urlsplit(location)
    base = int(parts.path.strip("/") or 0)
    number = (base - int(worker[2:])) % 16
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = urlunsplit(parts._replace(path=f"/{number}"))
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _eager_celery(request, settings):
    """Tests run tasks in-process unless they start a real worker (marked `services`)."""
    if request.node.get_closest_marker("services"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    """allauth's rate limits live in the cache; each test starts with a clean slate."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _broker_breaker_reset():
    """A test that simulates a dead broker must not leave the enqueue back-off on."""
    from workshop import outbox

    outbox._broker_down_until = 0.0
    yield
    outbox._broker_down_until = 0.0
