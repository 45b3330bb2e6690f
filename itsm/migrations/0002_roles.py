"""Create one group per role. Later migrations may grant model permissions to them."""

from django.db import migrations

ROLES = ["requester", "agent", "team_lead", "change_manager", "cab_member", "auditor", "administrator"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("itsm", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
