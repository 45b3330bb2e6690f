"""`manage.py import_cis FILE [--dry-run] [--atomic] [--as USERNAME]`: CIs from a CSV file.

Columns are described in config_items/importing.py. Exit status 1, with one line per rejected
row ("FILE:LINE: rejected: reasons"), when any row is rejected.
"""

from ...importing import import_cis
from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Create or update configuration items from a CSV file."
    import_function = staticmethod(import_cis)
