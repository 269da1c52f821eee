from __future__ import annotations

import pytest

from workshop.celery import app as celery_app


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
