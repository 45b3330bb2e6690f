"""`manage.py import_incidents FILE [--dry-run] [--user USERNAME]`: incidents from the tool used before.

FILE is CSV (a header row; columns in incidents/importing.py) or JSON (a list of objects with
the same keys), told apart by the extension. The import is all or nothing: if any row is
refused, nothing is written and the command exits 1 with one line per refused row
("FILE:LINE: reasons"). Without --user the changes are recorded as the system user.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from itsm.exceptions import DomainError, messages_of
from itsm.models import User
from itsm.services import system_actor

from ...importing import import_incidents, rows_from_csv, rows_from_json


class Command(BaseCommand):
    help = "Import historical incidents (with their original dates and states) from a CSV or JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv or .json file (UTF-8).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")
        parser.add_argument("--user", dest="username", metavar="USERNAME",
                            help="Record the import as this administrator (default: the system user).")

    def handle(self, *args, file, dry_run, username, **options):
        actor = self._actor(username)
        path = Path(file)
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                if path.suffix.lower() == ".json":
                    rows, lines = rows_from_json(stream.read())
                else:
                    rows, lines = rows_from_csv(stream)
            result = import_incidents(actor=actor, rows=rows, lines=lines, dry_run=dry_run, source=path.name)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text") from None
        except (ValidationError, DomainError) as exc:
            raise CommandError(f"{file}: {'; '.join(messages_of(exc))}") from None
        for error in result.errors:
            self.stderr.write(f"{file}:{error.line}: {'; '.join(error.errors)}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} rows refused; nothing was imported.")
        for row in result.created:
            self.stdout.write(f"{file}:{row.line}: {row.external_id} -> {row.number}")
        if dry_run:
            self.stdout.write(f"{len(result.created)} incidents checked; dry run: nothing was written.")
        else:
            self.stdout.write(f"{len(result.created)} incidents imported.")

    @staticmethod
    def _actor(username):
        if not username:
            return system_actor()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"There is no active user {username!r}.") from None
