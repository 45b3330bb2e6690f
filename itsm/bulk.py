"""Writing many rows with one statement each, for hot paths (the SLA escalation sweep).

QuerySet.bulk_create and bulk_update cost more Python time than the rest of the sweep (a
model instance per row, a CASE WHEN per field and row for the update): these write plain
values with one statement (a few on SQLite, whose statements take at most 999 parameters),
prepared as the fields prepare them. No signals, as with the bulk methods, hence no history:
they refuse a model that keeps one (`refuse_history_tracked`). They need
PostgreSQL or SQLite 3.35+ (INSERT … RETURNING, UPDATE … FROM; Debian 12 has 3.40), as
Django's own bulk_create needs 3.35 to return primary keys.
"""

import json

from django.db import connection
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model


def refuse_history_tracked(model) -> None:
    """Raise TypeError if `model` keeps a history: a write that bypasses `save()` (these, or
    `QuerySet.update()`) would change its rows without a history row (DESIGN.md section 7).
    Such rows are written through their services (`record_save`, `save_with_history`)."""
    try:
        get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return
    raise TypeError(f"{model._meta.label} keeps a history: write it through its services, not itsm.bulk")


def _preparer(field):
    """How to turn a value of `field` into a query parameter; None: as it is."""
    kind = field.get_internal_type()
    if kind in ("ForeignKey", "CharField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "BigAutoField",
                "AutoField", "IntegerField", "BooleanField"):
        return None
    if connection.vendor == "postgresql":
        if kind in ("DateTimeField", "DurationField"):
            return None  # psycopg adapts aware datetimes and timedeltas (timestamptz, interval)
        if kind == "JSONField":  # the text, cast to jsonb by the column (INSERT) or CAST (UPDATE)
            return lambda value: json.dumps(value, cls=field.encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(model, field_names, rows, *, returning: bool = False) -> list:
    """INSERT `rows` (tuples of values of `field_names`); their primary keys if `returning`."""
    refuse_history_tracked(model)
    fields = [model._meta.get_field(name) for name in field_names]
    preparers = [_preparer(field) for field in fields]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    suffix = f" RETURNING {qn(model._meta.pk.column)}" if returning else ""
    per_statement = (connection.features.max_query_params or 65535) // len(fields)
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start:start + per_statement]
            params = [value if prepare is None else prepare(value)
                      for values in batch for prepare, value in zip(preparers, values, strict=True)]
            cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES "
                           f"{', '.join([row] * len(batch))}{suffix}", params)
            if returning:  # in the order of the VALUES, as Django's bulk_create relies on
                ids += [pk for (pk,) in cursor.fetchall()]
    return ids


def update_rows(model, objects, field_names) -> None:
    """Write `field_names` of `objects` (by primary key) with one `UPDATE … FROM (VALUES …)`."""
    refuse_history_tracked(model)
    if not objects:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    preparers = [_preparer(field) for field in fields]
    pk, qn = model._meta.pk, connection.ops.quote_name
    table = qn(model._meta.db_table)

    def value(n, field):  # VALUES columns are named column1, column2, … on PostgreSQL and SQLite
        if connection.vendor == "postgresql":  # a column of NULLs only would be text
            return f"CAST(v.column{n} AS {field.db_type(connection)})"
        return f"v.column{n}"

    assignments = ", ".join(f"{qn(field.column)} = {value(n, field)}" for n, field in enumerate(fields, start=2))
    row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    per_statement = (connection.features.max_query_params or 65535) // (len(fields) + 1)
    with connection.cursor() as cursor:
        for start in range(0, len(objects), per_statement):
            batch = objects[start:start + per_statement]
            params = []
            for obj in batch:
                params.append(obj.pk)
                params += [getattr(obj, field.attname) if prepare is None else prepare(getattr(obj, field.attname))
                           for prepare, field in zip(preparers, fields, strict=True)]
            cursor.execute(f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(batch))}) AS v "
                           f"WHERE {table}.{qn(pk.column)} = v.column1", params)
