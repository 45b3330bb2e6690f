"""Per-process copies of rarely written rows, invalidated by a generation stamp in the database.

A process may keep a copy of something it reads on every request (the SLA targets, ...) as long
as it checks, with one cheap statement, that the copy is still current. The check reads a
`Generation` row; every writer of what the copy holds calls `bump(name)` in its own
transaction. The stamp lives in the database, not in the process or the cache, so a change
made by one web process is seen by every other web process and worker, on the embedded default
(LocMemCache, private to a process) as on Redis, and the stamp commits or rolls back with the
change itself.

The stamp is random, not a counter: a rolled-back bump leaves the old stamp, and a counter would
hand the same number out again to the next writer, which a copy read inside the rolled-back
transaction could have been filed under (tests run on-commit callbacks in transactions they
roll back). A random stamp is never handed out twice.

    TARGETS = GenerationCache("slas.targets")
    rows = TARGETS.get("incident", read=lambda: list(Target.objects.filter(...)))
    ...
    TARGETS.bump()  # in every service that writes targets, agreements or calendar versions
"""

import uuid
from collections.abc import Callable, Hashable
from typing import Any

from django.db import transaction

from .models import Generation


def current(name: str) -> str:
    """The stamp of `name` (empty before its first bump)."""
    return Generation.objects.filter(name=name).values_list("stamp", flat=True).first() or ""


def bump(name: str) -> None:
    """Give `name` a new stamp, in the caller's transaction: every copy read before is stale."""
    Generation.objects.bulk_create(
        [Generation(name=name, stamp=uuid.uuid4().hex)],
        update_conflicts=True, unique_fields=["name"], update_fields=["stamp"],
    )


class GenerationCache:
    """Copies keyed by `key`, each filed with the stamp read before it was read."""

    def __init__(self, name: str):
        self.name = name
        self._copies: dict[Hashable, tuple[str, Any]] = {}

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The copy of `key` if its stamp is current, else `read()`. The stamp is read before
        the rows, so a copy is never older than the stamp it is filed under; and a copy is filed
        only when the reading transaction commits (never what a rolled-back one saw)."""
        stamp = current(self.name)
        cached = self._copies.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        value = read()
        transaction.on_commit(lambda: self._copies.__setitem__(key, (stamp, value)))
        return value

    def bump(self) -> None:
        bump(self.name)

    def holds(self, key: Hashable) -> bool:
        """Whether a copy of `key` is filed (whatever its stamp): for tests."""
        return key in self._copies
