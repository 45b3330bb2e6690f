"""Records: the abstract base of every process record, and human numbering.

A concrete record declares `NUMBER_PREFIX` and `history = HistoricalRecords()`, and is
created and changed only through services that call `record_create` / `record_save`.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import NumberSequence, Versioned

NUMBER_DIGITS = 7


class StaleRecord(Exception):
    """The record changed since the caller read it (optimistic concurrency)."""

    def __init__(self, record, expected_version):
        self.record = record
        self.expected_version = expected_version
        super().__init__(
            _("%(record)s was changed by someone else (version %(current)s, you had %(expected)s). "
              "Reload it and apply your change again.")
            % {"record": record, "current": record.version, "expected": expected_version}
        )


def check_version(obj: Versioned, expected_version: int | None) -> None:
    """Refuse a write based on an old read; call it on the row locked for the write."""
    if expected_version is not None and expected_version != obj.version:
        raise StaleRecord(obj, expected_version)


class Record(Versioned):
    """Number, version, who created and last changed it, and when."""

    NUMBER_PREFIX: str = ""

    number = models.CharField(_("number"), max_length=16, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT,
        related_name="+", editable=False,
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


def next_number(prefix: str) -> str:
    """Allocate the next number of `prefix`, never the same twice, also under concurrency."""
    return next_numbers(prefix, 1)[0]


def next_numbers(prefix: str, count: int) -> list[str]:
    """Allocate `count` consecutive numbers of `prefix`, never the same twice.

    The counter row is incremented with a single UPDATE, which takes its row lock until the
    caller's transaction ends; a concurrent caller waits and then reads the next values.
    """
    if count <= 0:
        return []
    with transaction.atomic():
        updated = NumberSequence.objects.filter(prefix=prefix).update(next_value=F("next_value") + count)
        if not updated:
            NumberSequence.objects.get_or_create(prefix=prefix)
            NumberSequence.objects.filter(prefix=prefix).update(next_value=F("next_value") + count)
        end = NumberSequence.objects.get(prefix=prefix).next_value
    return [f"{prefix}{value:0{NUMBER_DIGITS}d}" for value in range(end - count, end)]


def record_create(record: Record, *, actor, reason: str = "") -> Record:
    """Number and save a new record, with the actor on the record and in its history."""
    if not record.NUMBER_PREFIX:
        raise ValueError(f"{type(record).__name__} declares no NUMBER_PREFIX")
    record.number = next_number(record.NUMBER_PREFIX)
    record.created_by = record.updated_by = actor
    record.created_at = record.updated_at = timezone.now()
    record.full_clean()
    save_with_history(record, actor=actor, reason=reason or "created")
    return record


def record_save(record: Record, *, actor, reason: str = "", expected_version: int | None = None) -> Record:
    """Save a changed record that the caller locked (`select_for_update`) in its transaction.

    With `expected_version`, refuse with `StaleRecord` if someone saved it in between.
    """
    check_version(record, expected_version)
    record.version += 1
    record.updated_by = actor
    record.updated_at = timezone.now()
    record.full_clean()
    save_with_history(record, actor=actor, reason=reason)
    return record


def save_with_history(record, *, actor, reason: str) -> None:
    # simple_history reads these two attributes, so tasks and commands (which have no
    # request) still record who made the change and why.
    record._history_user = actor
    record._change_reason = reason[:100]
    record.save()
