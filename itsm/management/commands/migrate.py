"""Django's `migrate`, with the kernel's rollback guard (itsm/migration_guard.py).

One option more: `--discard-references` lets a rollback drop tables that journal entries,
events, attachments or SLA timers still point at by record type and id (a trial or test
database). On a real installation, roll back by restoring the backup taken before the upgrade
(docs/operations.md, "Upgrades and rollbacks").
"""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from itsm.migration_guard import discarding_references


class Command(DjangoMigrateCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--discard-references", action="store_true",
            help="Unapply migrations that drop tables even while journal entries, events, attachments "
                 "or SLA timers point at their records (those rows would attach to records that "
                 "reuse the ids). Restore a backup instead on a real installation.")

    def handle(self, *args, **options):
        # --fake drops nothing: the guard has nothing to protect.
        with discarding_references(options.get("discard_references", False) or options.get("fake", False)):
            return super().handle(*args, **options)
