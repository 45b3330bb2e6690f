"""The default priority matrix (ITIL's impact × urgency) and a starting set of categories."""

from django.db import migrations

MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}
CATEGORIES = {
    "Hardware": ["Laptop / desktop", "Printer", "Server", "Mobile device"],
    "Software": ["Application error", "Installation", "Licence", "Performance"],
    "Network": ["Connectivity", "VPN", "Wi-Fi", "DNS"],
    "Access": ["Password / account", "Permissions"],
    "Database": ["Availability", "Performance", "Data"],
    "Inquiry / help": ["How to", "Other"],
}


def load(apps, schema_editor):
    PriorityRule = apps.get_model("incidents", "PriorityRule")
    Category = apps.get_model("incidents", "Category")
    for (impact, urgency), priority in MATRIX.items():
        PriorityRule.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    for name, subcategories in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(name=name, parent=None)
        for sub in subcategories:
            Category.objects.get_or_create(name=sub, parent=parent)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
