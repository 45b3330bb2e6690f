"""The CI types and relationship types every installation starts with (administrators add more)."""

from django.db import migrations

TEXT, INTEGER, CHOICE, IP, URL, DATE = "text", "integer", "choice", "ip", "url", "date"


def attr(name, label, kind, required=False, choices=None):
    definition = {"name": name, "label": label, "kind": kind, "required": required}
    if choices:
        definition["choices"] = choices
    return definition


CI_TYPES = [
    ("server", "Server", False, [
        attr("hostname", "Host name", TEXT, required=True), attr("ip_address", "IP address", IP),
        attr("os", "Operating system", TEXT), attr("cpu_count", "CPUs", INTEGER),
        attr("memory_gb", "Memory (GB)", INTEGER), attr("serial_number", "Serial number", TEXT),
    ]),
    ("virtual-machine", "Virtual machine", False, [
        attr("hostname", "Host name", TEXT, required=True), attr("ip_address", "IP address", IP),
        attr("os", "Operating system", TEXT), attr("vcpu_count", "vCPUs", INTEGER),
        attr("memory_gb", "Memory (GB)", INTEGER),
    ]),
    ("application", "Application", False, [
        attr("version", "Version", TEXT), attr("vendor", "Vendor", TEXT), attr("url", "URL", URL),
    ]),
    ("database", "Database", False, [
        attr("engine", "Engine", CHOICE, required=True,
             choices=["postgresql", "mysql", "mariadb", "oracle", "sqlserver", "other"]),
        attr("version", "Version", TEXT), attr("port", "Port", INTEGER),
    ]),
    ("network-device", "Network device", False, [
        attr("device_role", "Role", CHOICE, required=True,
             choices=["router", "switch", "firewall", "load-balancer", "access-point"]),
        attr("management_ip", "Management IP", IP), attr("model", "Model", TEXT),
        attr("serial_number", "Serial number", TEXT),
    ]),
    ("storage", "Storage", False, [
        attr("capacity_tb", "Capacity (TB)", INTEGER), attr("model", "Model", TEXT),
    ]),
    ("business-service", "Business service", True, [
        attr("criticality", "Criticality", CHOICE, required=True, choices=["high", "medium", "low"]),
    ]),
    ("technical-service", "Technical service", True, [
        attr("criticality", "Criticality", CHOICE, choices=["high", "medium", "low"]),
    ]),
]

RELATIONSHIP_TYPES = [
    ("depends-on", "depends on", "used by"),
    ("runs-on", "runs on", "hosts"),
    ("connects-to", "connects to", "connected from"),
    ("part-of", "part of", "contains"),
]


def create_types(apps, schema_editor):
    CIType = apps.get_model("config_items", "CIType")
    RelationshipType = apps.get_model("config_items", "RelationshipType")
    for slug, name, is_service, schema in CI_TYPES:
        CIType.objects.get_or_create(
            slug=slug, defaults={"name": name, "is_service": is_service, "attribute_schema": schema}
        )
    for slug, forward, reverse in RELATIONSHIP_TYPES:
        RelationshipType.objects.get_or_create(slug=slug, defaults={"forward_label": forward, "reverse_label": reverse})


class Migration(migrations.Migration):
    dependencies = [("config_items", "0001_initial")]

    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
