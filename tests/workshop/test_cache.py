"""The Redis cache degrades to a miss when Redis is unreachable (no server needed)."""

from __future__ import annotations

import pytest

from tests.smtp import free_port
from workshop import cache as resilient
from workshop.cache import ResilientRedisCache


@pytest.fixture
def dead_cache():
    """A cache pointed at a port nothing listens on."""
    resilient.breaker.reset()
    yield ResilientRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )
    resilient.breaker.reset()


def test_reads_miss_and_writes_are_dropped(dead_cache):
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", "fallback") == "fallback"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.has_key("k") is False
    assert dead_cache.set("k", 1) is None
    assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert dead_cache.delete("k") is False
    assert dead_cache.touch("k") is False
    assert dead_cache.clear() is False
    with pytest.raises(ValueError):
        dead_cache.incr("counter")


def test_add_succeeds_so_cache_locks_fail_open(dead_cache):
    """allauth's rate limits take a lock with add(): a dead Redis must not refuse sign-ins."""
    assert dead_cache.add("lock", True) is True


def test_one_failure_opens_the_breaker_and_later_calls_skip_redis(dead_cache, monkeypatch):
    assert dead_cache.get("k") is None
    assert resilient.breaker.is_open()
    calls = []
    monkeypatch.setattr(dead_cache._cache, "get", lambda *a: calls.append(a) or "from redis")
    assert dead_cache.get("k") is None
    assert calls == [], "while the breaker is open Redis is not asked"
    resilient.breaker.reset()
    assert dead_cache.get("k") == "from redis"


@pytest.mark.django_db
def test_health_reports_redis_absent_without_redis_url(client, settings):
    settings.REDIS_URL = ""
    assert client.get("/healthz").json() == {"status": "ok", "redis": "absent"}
