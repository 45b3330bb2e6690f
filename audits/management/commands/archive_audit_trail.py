from django.core.management.base import BaseCommand, CommandError

from audits.archive import archive_to


class Command(BaseCommand):
    help = ("Write the sealed audit trail entries older than AUDIT_RETENTION_DAYS (or --days) to a JSON-lines "
            "file, with their seals; the archive is recorded in the trail. Nothing is deleted.")

    def add_arguments(self, parser):
        parser.add_argument("output", help="The file to write (it must not exist).")
        parser.add_argument("--days", type=int, help="Entries older than this many days (default: the setting).")

    def handle(self, *args, **options):
        if options["days"] is not None and options["days"] < 0:
            raise CommandError("--days must be 0 or more.")
        try:
            with open(options["output"], "x", encoding="utf-8") as stream:
                summary = archive_to(stream, days=options["days"])
        except FileExistsError as exc:
            raise CommandError(f"{options['output']} exists already: choose another file.") from exc
        self.stdout.write(f"Archived {summary['count']} entries (#{summary['first_seq']} to #{summary['last_seq']}) "
                          f"to {options['output']}.")
