"""The default cache's Redis server, for what Django's cache API does not offer (a pipeline, a
key's remaining lifetime, SCAN over a prefix).

Django's RedisCache keeps its client in a private attribute; rather than reach into it, the
kernel opens its own connection pool to the same server, from the same LOCATION. One pool per
process (redis-py opens a new one in a forked child by itself).
"""

import functools

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def uses_redis() -> bool:
    """Whether the default cache is Redis (CACHE_URL=redis://...)."""
    return isinstance(caches["default"], RedisCache)


def redis_client() -> redis.Redis | None:
    """A client of the default cache's Redis server, or None when the cache is not Redis.
    Keys must be built with the cache's own `make_and_validate_key(key)` (prefix and version)."""
    if not uses_redis():
        return None
    location = settings.CACHES["default"]["LOCATION"]
    if not isinstance(location, str):
        location = location[0]
    return _client(location.split(",")[0])  # the first server is the one Django writes to


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
