"""The trail's tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the database
itself, for every database user (audits/triggers.py). Reversible: rolling back drops them."""

from django.db import migrations

from audits.triggers import create_statements, drop_statements, run


def create(apps, schema_editor):
    run(schema_editor.connection, create_statements(schema_editor.connection.vendor))


def drop(apps, schema_editor):
    run(schema_editor.connection, drop_statements(schema_editor.connection.vendor))


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
