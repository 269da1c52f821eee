"""A Redis cache that degrades to a miss when Redis is unreachable.

Redis is a helper here, never a single point of failure: sessions are `cached_db` (the
database holds every session, the cache only saves a query), rate limits and the page
fragments it holds can be recomputed. Django's own `RedisCache` raises on a refused
connection, which turned a Redis restart into a 500 on every signed-in page (the session
backend's `cache.set` after a failed `cache.get`). This backend answers as if the key were
absent (reads) or silently drops the write, logs once per outage, and then skips Redis for
`_Breaker.retry_seconds`, so each request pays at most one connection attempt, not one per call.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class _Breaker:
    """Process-wide 'Redis is down until' mark shared by every cache alias."""

    retry_seconds = 5.0

    def __init__(self) -> None:
        self._down_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._down_until

    def trip(self, error: BaseException) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = time.monotonic() + self.retry_seconds
        if first:
            log.warning("Redis cache unreachable (%s): serving without it.", error)

    def reset(self) -> None:
        with self._lock:
            if self._down_until:
                log.warning("Redis cache reachable again.")
            self._down_until = 0.0


breaker = _Breaker()


def _degrading(default_factory):
    """Wrap a cache method: on an unreachable Redis return `default_factory(*args)`."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            if breaker.is_open():
                return default_factory(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                breaker.trip(error)
                return default_factory(*args, **kwargs)
            if breaker._down_until:
                breaker.reset()
            return result

        return wrapper

    return decorate


def _missing_for_incr(key, *args, **kwargs):
    # A missing key is what incr() raises for in every Django backend; callers handle it.
    raise ValueError(f"Key '{key}' not found (cache unavailable).")


class ResilientRedisCache(RedisCache):
    """`RedisCache` whose reads miss and writes no-op while Redis is unreachable."""

    get = _degrading(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _degrading(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _degrading(lambda key, version=None: False)(RedisCache.has_key)
    # As if the key were absent, add() succeeds: a lock taken with add() (allauth's rate
    # limits) must not refuse every sign-in while Redis is away; the limits fail open.
    add = _degrading(lambda *a, **k: True)(RedisCache.add)
    set = _degrading(lambda *a, **k: None)(RedisCache.set)
    set_many = _degrading(lambda data, *a, **k: list(data))(RedisCache.set_many)
    touch = _degrading(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrading(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _degrading(lambda *a, **k: None)(RedisCache.delete_many)
    incr = _degrading(_missing_for_incr)(RedisCache.incr)
    clear = _degrading(lambda *a, **k: False)(RedisCache.clear)


def redis_status() -> str:
    """'ok', 'degraded' (unreachable) or 'absent' (not configured), for the health check."""
    from django.conf import settings
    from django.core.cache import cache

    if not getattr(settings, "REDIS_URL", ""):
        return "absent"
    try:
        # Django has no public ping; the backend's client is the documented redis-py one.
        client = cache._cache.get_client(write=False)
        client.ping()
    except UNAVAILABLE as error:
        breaker.trip(error)
        return "degraded"
    breaker.reset()
    return "ok"
