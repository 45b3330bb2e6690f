"""Where unauthorised-change detection starts reading the CMDB history.

Detection reads on from a cursor per history table (services/unauthorised.py). A CMDB that
existed before change management was installed holds years of history nobody authorised as a
change: installing reads none of it (migration 0002 starts the cursors at the newest rows), and
`manage.py unauthorised_baseline` starts them again from now (after a bulk import, say)."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from config_items.models import ConfigurationItem, Relationship

from ..models import DetectionCursor
from .unauthorised import CI_CURSOR, LINK_CURSOR

HISTORIES = {CI_CURSOR: ConfigurationItem, LINK_CURSOR: Relationship}


@transaction.atomic
def unauthorised_baseline() -> dict[str, int]:
    """Start detection after the newest CMDB history row of each table; returns {cursor: id}."""
    started = {}
    for name, model in HISTORIES.items():
        newest = model.history.model.objects.aggregate(newest=Max("history_id"))["newest"] or 0
        cursor, _created = DetectionCursor.objects.select_for_update().get_or_create(name=name)
        cursor.last_history_id, cursor.last_run_at = max(newest, cursor.last_history_id), timezone.now()
        cursor.save()
        started[name] = cursor.last_history_id
    return started
