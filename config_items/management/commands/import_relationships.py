"""`manage.py import_relationships FILE [--dry-run] [--atomic] [--as USERNAME]`: relationships
from a CSV file with the columns source, type, target (CIs by number or "source:external id")."""

from ...importing import import_relationships
from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Create relationships between configuration items from a CSV file."
    import_function = staticmethod(import_relationships)
