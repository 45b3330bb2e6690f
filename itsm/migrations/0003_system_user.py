"""The "system" account that tasks and commands act as, so history always names an actor."""

from django.contrib.auth.hashers import make_password
from django.db import migrations


def create_system_user(apps, schema_editor):
    User = apps.get_model("itsm", "User")
    Group = apps.get_model("auth", "Group")
    user, created = User.objects.get_or_create(
        username="system",
        defaults={"first_name": "System", "is_active": False, "password": make_password(None)},
    )
    if created:
        user.groups.add(Group.objects.get(name="administrator"))


class Migration(migrations.Migration):
    dependencies = [("itsm", "0002_roles")]

    operations = [migrations.RunPython(create_system_user, migrations.RunPython.noop)]
