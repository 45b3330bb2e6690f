"""Reproducible sampling: N records of one type from a period, with filters, drawn by a seed that
is shown and stored, so anyone can draw the same sample again. The draw is deterministic for a
seed whatever the database: the population's primary keys in ascending order (keys only, no
rows), then `random.Random(seed).sample` over that list. The sample is frozen as rows."""

import random
import secrets

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm import evidence
from itsm.audit_sources import AuditFact
from itsm.evidence import Period, Scope
from itsm.permissions import require

from .models import Sample, SampleItem
from .selectors import AUDIT_READERS
from .writer import label_of, write

MAX_SIZE = 500
MAX_SEED = 2**53  # shown to people and typed back: keep it exact in JSON and spreadsheets


def sampled_sources() -> list[evidence.EvidenceSource]:
    return [source for source in evidence.sources() if source.sampled]


def population(source: evidence.EvidenceSource, period: Period, scope: Scope, priorities=()):
    records = source.records(period, scope)
    if priorities:
        try:
            records.model._meta.get_field("priority")
        except FieldDoesNotExist:
            raise ValidationError({"priorities": _("These records have no priority.")}) from None
        records = records.filter(priority__in=priorities)
    return records


def draw(pks: list[int], size: int, seed: int) -> list[int]:
    """The sample of `pks` (ascending) for `seed`: the same list for the same inputs, always.
    A seeded generator on purpose: reproducible, not secret."""
    return random.Random(seed).sample(pks, min(size, len(pks)))  # noqa: S311


def _clean(source_key, period_start, period_end, size, seed):
    errors = {}
    source = evidence.source(source_key)
    if source is None or not source.sampled:
        errors["source"] = _("Choose a record type.")
    if period_start is None or period_end is None or period_end <= period_start:
        errors["period_end"] = _("The period must end after it starts.")
    if not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        errors["size"] = _("A sample has between 1 and %(max)s records.") % {"max": MAX_SIZE}
    if seed is not None and not 0 <= seed < MAX_SEED:
        errors["seed"] = _("The seed is a whole number from 0 to %(max)s.") % {"max": MAX_SEED - 1}
    if errors:
        raise ValidationError(errors)
    return source


@transaction.atomic
def sample_draw(*, actor, source_key: str, period_start, period_end, size: int, seed: int | None = None,
                priorities=(), customers=(), services=()) -> Sample:
    """Draw and freeze a sample (auditors and administrators; a read put on record). `seed`
    None: a new random seed, stored. Side effects: the sample and its items, a trail entry
    `sample_drawn`."""
    require(actor, AUDIT_READERS, reading=True)
    source = _clean(source_key, period_start, period_end, size, seed)
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    priorities = sorted({int(p) for p in priorities})
    scope = Scope(customers=tuple(sorted({int(c) for c in customers})), services=tuple(sorted({int(s) for s in services})))
    records = population(source, Period(period_start, period_end), scope, priorities)
    pks = list(records.order_by("pk").values_list("pk", flat=True))
    chosen = draw(pks, size, seed)
    sample = Sample.objects.create(source=source.key, period_start=period_start, period_end=period_end,
                                   priorities=priorities, customers=list(scope.customers),
                                   services=list(scope.services), size=size, seed=seed, population=len(pks),
                                   created_by=actor)
    content_type = ContentType.objects.get_for_model(records.model)
    objects = records.model._default_manager.in_bulk(chosen)
    SampleItem.objects.bulk_create(
        SampleItem(sample=sample, position=position, content_type=content_type, object_id=pk,
                   label=label_of(objects[pk])) for position, pk in enumerate(chosen, start=1))
    write(AuditFact("sample_drawn", record=sample, actor=actor, label=f"SMP{sample.pk}", changes={
        "source": source.key, "seed": seed, "size": size, "population": len(pks),
        "period": [period_start.isoformat(), period_end.isoformat()], "priorities": priorities,
        "records": chosen}))
    return sample


def item_viewed(*, actor, item: SampleItem) -> None:
    """The access log: an auditor opened a sampled record's page. Side effects: a trail entry."""
    require(actor, AUDIT_READERS, reading=True)
    write(AuditFact("record_viewed", actor=actor, content_type_id=item.content_type_id, object_id=item.object_id,
                    label=item.label, changes={"sample": item.sample_id, "position": item.position}))
