"""The 24×7 calendar every installation starts with, and its first version."""

from django.db import migrations

NAME = "24×7"


def create(apps, schema_editor):
    Calendar = apps.get_model("slas", "Calendar")
    CalendarVersion = apps.get_model("slas", "CalendarVersion")
    User = apps.get_model("itsm", "User")
    system = User.objects.get(username="system")
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
    dependencies = [("slas", "0001_initial"), ("itsm", "0003_system_user")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
