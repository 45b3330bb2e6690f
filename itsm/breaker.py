"""Circuit breakers: after a server failed, stop calling it from requests for a while.

A request must never wait on a server whose work may be done later or skipped (the broker: the
outbox sweep publishes what was left; the cache: a miss is computed, a rate limit lets the
request through). One failure opens the breaker for `open_seconds`: calls are skipped without
trying, and one warning is logged for the whole period (not one per request). The first call
after it succeeded closes it again (logged once too). State is per process and per server
address (`breaker("broker", url)`), so pointing a process at another server starts afresh.
"""

import logging
import threading
import time

log = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str, open_seconds: float):
        self.name = name
        self.open_seconds = open_seconds
        self.open_until = 0.0  # time.monotonic() until which calls are skipped
        self.failures = 0  # failures since it last closed
        self.skipped = 0  # calls skipped while open, since it last closed
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def allows(self) -> bool:
        """Whether to try the server now; counts the skipped calls."""
        if self.is_open:
            self.skipped += 1
            return False
        return True

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first = self.failures == 0
            self.failures += 1
            self.open_until = time.monotonic() + self.open_seconds
        if first:
            log.warning("%s unavailable (%s: %s); not tried again from requests for %ss", self.name,
                        type(exc).__name__, exc, self.open_seconds)
        else:
            log.info("%s still unavailable (%s); not tried again for %ss", self.name, type(exc).__name__,
                     self.open_seconds)

    def succeeded(self) -> None:
        if self.failures:
            with self._lock:
                failures, skipped, self.failures, self.skipped = self.failures, self.skipped, 0, 0
                self.open_until = 0.0
            log.warning("%s available again (after %s failure(s), %s call(s) skipped)", self.name, failures,
                        skipped)

    def reset(self) -> None:
        with self._lock:
            self.open_until, self.failures, self.skipped = 0.0, 0, 0


_breakers: dict[tuple[str, str], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker(kind: str, address: str, open_seconds: float) -> CircuitBreaker:
    """The process's breaker of the server `kind` at `address` (created on first use)."""
    key = (kind, address)
    found = _breakers.get(key)
    if found is None:
        with _breakers_lock:
            found = _breakers.setdefault(key, CircuitBreaker(f"{kind} {_safe(address)}", open_seconds))
    return found


def _safe(address: str) -> str:
    """A server address without credentials, for logs."""
    scheme, sep, rest = address.partition("://")
    if sep and "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def reset_all() -> None:
    """Close every breaker of this process (tests: each starts with the servers trusted)."""
    for found in list(_breakers.values()):
        found.reset()
