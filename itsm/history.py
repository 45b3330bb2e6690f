"""Field history of any record for people to read: who, when, why, which fields (old → new).

Reads django-simple-history rows; foreign keys are shown by name and choices by label, with
one query per related model whatever the number of rows.
"""

from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords


def history_rows(record, *, hidden_fields=(), limit: int = 50) -> list[dict]:
    """The newest `limit` versions of `record`, newest first, each
    {"record": historical row, "changes": [{"name", "field", "old", "new"}], "created": bool}.
    The oldest version of a full history is the creation (`created`, no changes)."""
    model = type(record)
    versions = list(record.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit + 1])
    fields = {f.name: f for f in model._meta.concrete_fields}
    rows, references = [], {}
    for index, version in enumerate(versions[:limit]):
        previous = versions[index + 1] if index + 1 < len(versions) else None
        changes = []
        if previous is not None:
            for change in version.diff_against(previous, excluded_fields=list(hidden_fields)).changes:
                field = fields.get(change.field)
                if field is not None and field.is_relation:
                    references.setdefault(field.related_model, set()).update(
                        value for value in (change.old, change.new) if value is not None)
                changes.append({"name": change.field, "old": change.old, "new": change.new,
                                "field": field.verbose_name if field is not None else change.field})
        rows.append({"record": version, "changes": changes, "created": previous is None and index == len(versions) - 1})
    names = {related: {pk: str(obj) for pk, obj in related._default_manager.in_bulk(pks).items()}
             for related, pks in references.items()}
    for row in rows:
        for change in row["changes"]:
            field = fields.get(change["name"])
            for side in ("old", "new"):
                change[side] = _readable(field, change[side], names)
    return rows


def _readable(field, value, names):
    if field is None or value is None:
        return value
    if field.is_relation:
        return names[field.related_model].get(value, value)
    if field.choices and value != "":
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


class RecordHistory(HistoricalRecords):
    """django-simple-history for records with tracked many-to-many fields, minus one query on
    creation: the history row of an INSERT has no many-to-many rows to copy (they need the new
    primary key, so they are added after the save, and that addition writes a history row of
    its own), yet the library would read the through table of each field to find none."""

    def create_historical_record_m2ms(self, history_instance, instance):
        if history_instance.history_type == "+":
            return
        super().create_historical_record_m2ms(history_instance, instance)
