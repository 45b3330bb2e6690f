"""Unauthorised-change detection starts at installation: the CMDB history written before change
management existed is not read as unauthorised changes (changes/services/detection_start.py)."""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

CURSORS = {"config_items.configurationitem": "HistoricalConfigurationItem",
           "config_items.relationship": "HistoricalRelationship"}


def start_cursors(apps, schema_editor):
    cursor_model = apps.get_model("changes", "DetectionCursor")
    for name, history in CURSORS.items():
        newest = apps.get_model("config_items", history).objects.aggregate(newest=Max("history_id"))["newest"]
        cursor_model.objects.get_or_create(name=name, defaults={"last_history_id": newest or 0,
                                                                "last_run_at": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial"), ("config_items", "0001_initial")]

    operations = [migrations.RunPython(start_cursors, migrations.RunPython.noop)]
