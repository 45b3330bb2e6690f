"""The 24×7 calendar every installation starts with, and its first version."""

from importlib import import_module

from django.db import migrations

NAME = "24×7"


def system_account(apps, schema_editor):
    """The kernel's "system" account, made sure of by the kernel's own (idempotent) steps.

    This migration depends on the kernel's schema only (`itsm.0001_initial`), never on its data
    migrations: a dependency on a data migration makes rolling that back unapply this app too
    (tests/itsm/test_migrations.py). So it runs the roles and system-account steps itself;
    when they have run already they change nothing.
    """
    import_module("itsm.migrations.0002_roles").create_roles(apps, schema_editor)
    import_module("itsm.migrations.0003_system_user").create_system_user(apps, schema_editor)
    return apps.get_model("itsm", "User").objects.get(username="system")


def create(apps, schema_editor):
    Calendar = apps.get_model("slas", "Calendar")
    CalendarVersion = apps.get_model("slas", "CalendarVersion")
    system = system_account(apps, schema_editor)
    always = [[0, 1440]]
    calendar, created = Calendar.objects.get_or_create(
        name=NAME, defaults={"time_zone": "UTC",
                             "weekly_hours": {d: [["00:00", "24:00"]] for d in
                                              ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
    if created:
        CalendarVersion.objects.create(
            calendar=calendar, number=1, created_by=system, summary="Created",
            definition={"time_zone": "UTC", "weekly": {str(d): always for d in range(7)}, "closed": {},
                        "working": {}, "years": []},
        )


class Migration(migrations.Migration):
    dependencies = [("slas", "0001_initial"), ("itsm", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
