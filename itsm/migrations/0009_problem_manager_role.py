"""The problem manager role (problem management owns its workflow, see problems.workflow)."""

from django.db import migrations


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="problem_manager")


class Migration(migrations.Migration):
    dependencies = [("itsm", "0008_idempotency_response_content")]

    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
