from django.core.management.base import BaseCommand

from audits import services


class Command(BaseCommand):
    help = "Seal the committed entries of the audit trail into its hash chain (beat does it every few seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true",
                            help="Look at every entry, not only the recent ones (finds very late commits).")

    def handle(self, *args, **options):
        sealed = services.trail_seal(full=options["all"])
        self.stdout.write(f"Sealed {sealed} entries.")
