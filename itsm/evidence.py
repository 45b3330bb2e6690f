"""Evidence exporters: what each process app puts into an auditor's evidence bundle.

The bundle is built by `audits/` (the last layer), which no app may import. So the kernel keeps
the registry and every app fills it in its `AppConfig.ready()`:

    from itsm.evidence import EvidenceSource, register
    register(EvidenceSource("incidents", _("Incidents"), records=incidents_of_period, order=10))

`records(period, scope)` returns a QuerySet of the records of the period in the scope, never a
list: the exporter streams it (`iterator(chunk_size=...)`) and joins the records' history,
journal, attachments and SLA timers to it by subquery, so that memory stays flat however long
the period. `files(period, scope)`, optional, yields further files of the type as (name, rows):
each row a dict of plain values, produced lazily (SLA inputs: calendar and target versions,
timer events). A source with `sampled=True` (the default) is offered for sampling too; its
records' `priority` column, when it has one, is what a sample's priority filter reads.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Period:
    """From `start` (inclusive) to `end` (exclusive), aware instants."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scope:
    """What to keep: customers and services by id; empty means all."""

    customers: tuple[int, ...] = ()
    services: tuple[int, ...] = ()


Rows = Iterable[dict]


@dataclass(frozen=True)
class EvidenceSource:
    key: str  # a slug: the folder of its files in the bundle, and the API's name of the process
    label: Any
    records: Callable[[Period, Scope], Any]  # -> QuerySet
    files: Callable[[Period, Scope], Iterator[tuple[str, Rows]]] | None = None
    order: int = 100
    sampled: bool = True


_sources: dict[str, EvidenceSource] = {}


def register(source: EvidenceSource) -> None:
    """Add (or replace: registering again in another `ready()` run is harmless) a source."""
    _sources[source.key] = source


def sources() -> list[EvidenceSource]:
    return sorted(_sources.values(), key=lambda source: (source.order, source.key))


def source(key: str) -> EvidenceSource | None:
    return _sources.get(key)


def in_period(queryset, field: str, period: Period):
    """The rows whose `field` falls in the period (the usual filter of a source)."""
    return queryset.filter(**{f"{field}__gte": period.start, f"{field}__lt": period.end})
