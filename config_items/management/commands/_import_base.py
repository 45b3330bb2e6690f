"""What `import_cis` and `import_relationships` share: arguments, actor, report lines, exit status."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from itsm.exceptions import DomainError, messages_of
from itsm.models import User
from itsm.services import system_actor


class ImportCommand(BaseCommand):
    """Runs `import_function` on FILE; exits non-zero with one line per rejected row."""

    import_function = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8; a byte order mark is fine).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")
        parser.add_argument("--atomic", action="store_true", help="Write nothing if any row is rejected.")
        parser.add_argument("--as", dest="username", metavar="USERNAME",
                            help="Record the changes as this user (default: the system user).")

    def handle(self, *args, file, dry_run, atomic, username, **options):
        actor = self._actor(username)
        try:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                report = type(self).import_function(actor=actor, file=stream, dry_run=dry_run, atomic=atomic)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        except (ValidationError, DomainError) as exc:
            raise CommandError("; ".join(messages_of(exc))) from None
        for row in report.rows:
            if row.errors:
                self.stderr.write(f"{file}:{row.line}: rejected: {'; '.join(row.errors)}")
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.rejected} rejected; {self._outcome(report)}"
        )
        if report.rejected:
            raise CommandError(f"{report.rejected} rows rejected")

    @staticmethod
    def _outcome(report) -> str:
        if report.written:
            return "the changes were written."
        if report.dry_run:
            return "dry run: nothing was written."
        if report.atomic and report.rejected:
            return "nothing was written (--atomic)."
        return "nothing to write."

    @staticmethod
    def _actor(username):
        if not username:
            return system_actor()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"There is no active user {username!r}.") from None
