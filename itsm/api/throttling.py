"""The API's rate limits: per user in fixed windows, per client address for anonymous calls.

DRF's UserRateThrottle keeps the instant of every request of the last window and reads and
rewrites that whole list on each request: at the default 6,000 a minute, a busy integration's
every call moved thousands of timestamps through the cache. A counter per window costs one
atomic increment. The price: a client may send up to twice the rate across the boundary of
two windows, which a limit meant to stop runaway clients tolerates.

Both throttles name clients by `itsm.client_address` (DRF's own rule trusts the whole
X-Forwarded-For, so a client could evade the anonymous limit by sending a new one each time).
A rate limit is a convenience: when the cache is down it lets requests through (`itsm.cache`).
"""

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from ..cache import CACHE_ERRORS, cache_breaker, redis_client, redis_location
from ..client_address import client_address


class ClientAddressMixin:
    def get_ident(self, request):
        return client_address(request) or ""


class AddressRateThrottle(ClientAddressMixin, AnonRateThrottle):
    """DRF's anonymous rate limit, per client address."""


class WindowUserRateThrottle(ClientAddressMixin, UserRateThrottle):
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        count = self.count(f"{self.key}:{window}", self.duration + 1)
        self.wait_seconds = (window + 1) * self.duration - now
        return count <= self.num_requests

    def count(self, key: str, ttl: int) -> int:
        """Add one to the window's counter and return it; the counter expires after `ttl`.
        0 when the cache is down (the request is let through)."""
        # DRF's `cache` is Django's proxy of the default cache.
        client = redis_client() if self.cache is default_cache else None
        if client is not None:
            breaker = cache_breaker(redis_location())
            if not breaker.allows():
                return 0
            # One round trip: SET NX creates the counter with its lifetime only if it is missing,
            # INCR counts (Django's add + incr took three, and a new client object each).
            key = caches[DEFAULT_CACHE_ALIAS].make_and_validate_key(key)
            try:
                _created, count = client.pipeline(transaction=False).set(key, 0, ex=ttl, nx=True).incr(key).execute()
            except CACHE_ERRORS as exc:
                breaker.failed(exc)
                return 0
            breaker.succeeded()
            return count
        self.cache.add(key, 0, ttl)  # no-op when the window's counter exists
        try:
            return self.cache.incr(key)
        except ValueError:  # expired between the two calls (or the cache is down: then 1)
            self.cache.add(key, 1, ttl)
            return 1

    def wait(self):
        return self.wait_seconds
