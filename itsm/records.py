"""Records: the abstract base of every process record, and human numbering.

A concrete record declares `NUMBER_PREFIX` and `history = HistoricalRecords()`, and is
created and changed only through services that call `record_create` / `record_save`.
"""

import functools
import re

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, ProgrammingError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exceptions import StaleRecord  # raised here; still importable from here
from .models import NumberSequence, Versioned

NUMBER_DIGITS = 7
PREFIX = re.compile(r"[A-Z]{1,8}")


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
    """Allocate `count` numbers of `prefix`, ascending, never the same twice, also under
    concurrency.

    On PostgreSQL each prefix has a database SEQUENCE: `nextval` never waits for another
    transaction, so creations run in parallel (a number taken by a transaction that rolls
    back is not reused, which leaves a gap). Elsewhere (SQLite, which serialises writers
    anyway) a counter row is incremented with a single UPDATE, locked until commit.
    """
    if count <= 0:
        return []
    if not PREFIX.fullmatch(prefix):
        raise ValueError(f"number prefix {prefix!r} must be 1-8 capital letters")
    values = _sequence_values(prefix, count) if connection.vendor == "postgresql" else _counter_values(prefix, count)
    return [f"{prefix}{value:0{NUMBER_DIGITS}d}" for value in values]


def _counter_values(prefix: str, count: int) -> range:
    with transaction.atomic():
        updated = NumberSequence.objects.filter(prefix=prefix).update(next_value=F("next_value") + count)
        if not updated:
            NumberSequence.objects.get_or_create(prefix=prefix)
            NumberSequence.objects.filter(prefix=prefix).update(next_value=F("next_value") + count)
        end = NumberSequence.objects.get(prefix=prefix).next_value
    return range(end - count, end)


def _sequence_name(prefix: str) -> str:
    return f"itsm_number_{prefix.lower()}"


@functools.cache
def _record_prefixes() -> frozenset[str]:
    """The number prefixes of the installed record types (fixed once the apps are loaded)."""
    return frozenset(model.NUMBER_PREFIX for model in apps.get_models()
                     if issubclass(model, Record) and model.NUMBER_PREFIX)


def create_number_sequences(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After every `migrate` (post_migrate, connected in ItsmConfig.ready()): the sequence of each
    installed record type, so that numbering never needs a savepoint for it."""
    if using != DEFAULT_DB_ALIAS or connection.vendor != "postgresql":
        return
    for prefix in sorted(_record_prefixes()):
        _create_sequence(prefix, _sequence_name(prefix))


def _sequence_values(prefix: str, count: int) -> list[int]:
    name = _sequence_name(prefix)
    if prefix in _record_prefixes():  # created by migrate (create_number_sequences): it exists
        return _draw(name, count)
    for _attempt in range(3):
        try:
            # In a savepoint: a missing sequence aborts only this statement, not the caller's work.
            with transaction.atomic():
                return _draw(name, count)
        except ProgrammingError:
            _create_sequence(prefix, name)
    raise RuntimeError(f"could not create the number sequence {name}")


def _draw(name: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [name, count])
        return sorted(row[0] for row in cursor.fetchall())


def _create_sequence(prefix: str, name: str) -> None:
    """Create the prefix's sequence, continuing from its counter row if numbers were taken
    before (an installation that started on the counter)."""
    row = NumberSequence.objects.filter(prefix=prefix).values_list("next_value", flat=True).first()
    start = row or NumberSequence._meta.get_field("next_value").default
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # `name` is built from a validated prefix (capital letters only): safe as an identifier.
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start)}")
    except (IntegrityError, ProgrammingError):
        pass  # a concurrent transaction created it first


def record_create(record: Record, *, actor, reason: str = "") -> Record:
    """Number and save a new record, with the actor on the record and in its history."""
    if not record.NUMBER_PREFIX:
        raise ValueError(f"{type(record).__name__} declares no NUMBER_PREFIX")
    record.number = next_number(record.NUMBER_PREFIX)
    record.created_by = record.updated_by = actor
    record.created_at = record.updated_at = timezone.now()
    record.full_clean(exclude=_already_checked(record, "number"))
    save_with_history(record, actor=actor, reason=reason or "created")
    return record


def record_save(record: Record, *, actor, reason: str = "", expected_version: int | None = None) -> Record:
    """Save a changed record that the caller locked (`select_for_update`) in its transaction.

    With `expected_version`, refuse with `StaleRecord` if someone saved it in between.
    """
    record.updated_by = actor
    record.updated_at = timezone.now()
    versioned_save(record, actor=actor, reason=reason, expected_version=expected_version,
                   exclude=_already_checked(record))
    return record


def versioned_save(obj: Versioned, *, actor, reason: str, expected_version: int | None = None,
                   exclude=None) -> None:
    """Save a changed row of a `Versioned` model (a record, a customer, a calendar) that the
    caller locked with `select_for_update()`: refuse with `StaleRecord` if someone saved it
    since `expected_version`, count the version up, validate, save with history."""
    check_version(obj, expected_version)
    obj.version += 1
    obj.full_clean(exclude=exclude)
    save_with_history(obj, actor=actor, reason=reason)


def _already_checked(record, *names: str) -> list[str]:
    """Fields `full_clean` need not check again: foreign keys holding a loaded object (the
    form, serializer or service that set them read it from the database, which also enforces
    the key), fields left blank that a conditional unique constraint covers only when not
    blank, and, on creation, the number just allocated. Saves a query per such field."""
    loaded = [f.name for f in record._meta.concrete_fields if f.many_to_one and f.is_cached(record)]
    blank = [name for name in _unique_unless_blank(type(record)) if getattr(record, name) == ""]
    return [*loaded, *blank, *names]


_UNLESS_BLANK: dict[type, tuple[str, ...]] = {}


def _unique_unless_blank(model) -> tuple[str, ...]:
    """Fields of `model`'s one-field unique constraints whose condition requires the field not
    to be blank (`... & ~Q(field="")`): a row with the field blank is outside the constraint,
    so asking the database whether another row collides (a query in a savepoint) is pointless."""
    if model not in _UNLESS_BLANK:
        _UNLESS_BLANK[model] = tuple(
            c.fields[0] for c in model._meta.constraints
            if isinstance(c, models.UniqueConstraint) and len(c.fields) == 1 and c.condition is not None
            and _requires_not_blank(c.condition, c.fields[0]))
    return _UNLESS_BLANK[model]


def _requires_not_blank(condition: models.Q, name: str) -> bool:
    """Whether `condition` (a Q) is an AND of terms of which one is `~Q(name="")`."""
    if condition.connector != models.Q.AND:
        return False
    if condition.negated:
        return condition.children == [(name, "")] or condition.children == [(f"{name}__exact", "")]
    return any(isinstance(child, models.Q) and _requires_not_blank(child, name) and child.negated
               for child in condition.children)


def save_with_history(record, *, actor, reason: str) -> None:
    # simple_history reads these two attributes, so tasks and commands (which have no
    # request) still record who made the change and why.
    record._history_user = actor
    record._change_reason = reason[:100]
    record.save()
