"""The default cache: a convenience that fails open, and its Redis server for what Django's
cache API does not offer (a pipeline, a key's remaining lifetime, SCAN over a prefix).

Nothing the product must keep lives in the cache (sessions and the login lock-out are in the
database; docs/operations.md, "When a server is down"): it holds rate-limit counters and a few
counts kept for seconds. So when the Redis cache is down, `FailOpenRedisCache` answers a read
as a miss and drops a write, and the rate limiter lets requests through: the product slows
down, it does not fail. One failure opens the cache's breaker (`itsm.breaker`): for
`OPEN_SECONDS` no request tries the server (no connect timeout paid per request) and one
warning is logged for the whole period.

Django's RedisCache keeps its client in a private attribute; rather than reach into it, the
kernel opens its own connection pool to the same server, from the same LOCATION. One pool per
process (redis-py opens a new one in a forked child by itself).
"""

import functools

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from .breaker import CircuitBreaker, breaker

# Seconds a cache that failed is left alone before a request tries it again.
OPEN_SECONDS = 10
# Errors of a cache server that is down or too slow (redis-py's, and the socket's).
CACHE_ERRORS = (redis.RedisError, OSError)
# A cache call never waits longer than this on the network (seconds).
CONNECT_TIMEOUT = 0.5
SOCKET_TIMEOUT = 1.0
CONNECTION_OPTIONS = {"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT}


def cache_breaker(location: str) -> CircuitBreaker:
    return breaker("cache", location, OPEN_SECONDS)


class FailOpenRedisCacheClient(RedisCacheClient):
    """Django's Redis client, where a server that is down is a miss (reads), a no-op (writes)."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self.breaker = cache_breaker(servers[0])

    def _guarded(self, call, fallback, *args):
        if not self.breaker.allows():
            return fallback(*args)
        try:
            result = call(*args)
        except CACHE_ERRORS as exc:
            self.breaker.failed(exc)
            return fallback(*args)
        self.breaker.succeeded()
        return result

    def add(self, key, value, timeout):
        return self._guarded(super().add, lambda *_: False, key, value, timeout)

    def get(self, key, default):
        return self._guarded(super().get, lambda _key, default: default, key, default)

    def set(self, key, value, timeout):
        return self._guarded(super().set, lambda *_: None, key, value, timeout)

    def touch(self, key, timeout):
        return self._guarded(super().touch, lambda *_: False, key, timeout)

    def delete(self, key):
        return self._guarded(super().delete, lambda *_: False, key)

    def get_many(self, keys):
        return self._guarded(super().get_many, lambda *_: {}, keys)

    def has_key(self, key):
        return self._guarded(super().has_key, lambda *_: False, key)

    def incr(self, key, delta):
        def missing(key, _delta):
            raise ValueError(f"Key '{key}' not found (cache unavailable).")

        return self._guarded(super().incr, missing, key, delta)

    def set_many(self, data, timeout):
        return self._guarded(super().set_many, lambda *_: None, data, timeout)

    def delete_many(self, keys):
        return self._guarded(super().delete_many, lambda *_: None, keys)

    def clear(self):
        return self._guarded(super().clear, lambda: False)


class FailOpenRedisCache(RedisCache):
    """settings.CACHES' backend with CACHE_URL=redis://...: RedisCache that fails open."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
        self._options = {**CONNECTION_OPTIONS, **self._options}


def uses_redis() -> bool:
    """Whether the default cache is Redis (CACHE_URL=redis://...)."""
    return isinstance(caches["default"], RedisCache)


def redis_location() -> str | None:
    """The URL of the default cache's (first) Redis server, or None when the cache is not Redis."""
    if not uses_redis():
        return None
    location = settings.CACHES["default"]["LOCATION"]
    if not isinstance(location, str):
        location = location[0]
    return location.split(",")[0]  # the first server is the one Django writes to


def redis_client() -> redis.Redis | None:
    """A client of the default cache's Redis server, or None when the cache is not Redis.
    Keys must be built with the cache's own `make_and_validate_key(key)` (prefix and version).
    Its calls may raise CACHE_ERRORS: a caller that can do without the cache checks
    `cache_breaker(redis_location())` first and reports failures to it (as the throttle does)."""
    location = redis_location()
    return None if location is None else _client(location)


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, **CONNECTION_OPTIONS)
