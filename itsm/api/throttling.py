"""The API's per-user rate limit, counted in fixed windows.

DRF's UserRateThrottle keeps the instant of every request of the last window and reads and
rewrites that whole list on each request: at the default 6,000 a minute, a busy integration's
every call moved thousands of timestamps through the cache. A counter per window costs one
atomic increment. The price: a client may send up to twice the rate across the boundary of
two windows, which a limit meant to stop runaway clients tolerates.
"""

from rest_framework.throttling import UserRateThrottle


class WindowUserRateThrottle(UserRateThrottle):
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.key}:{window}"
        self.cache.add(key, 0, self.duration + 1)  # no-op when the window's counter exists
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between the two calls
            self.cache.add(key, 1, self.duration + 1)
            count = 1
        self.wait_seconds = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self):
        return self.wait_seconds
