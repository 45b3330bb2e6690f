from django.core.management.base import BaseCommand, CommandError

from audits import services
from itsm.services import system_actor


class Command(BaseCommand):
    help = ("Seal, then verify the audit trail's hash chain and its anchors (those in the database and, "
            "with --anchors-file, those kept outside); reports the first broken entry. Exit status 1 when broken.")

    def add_arguments(self, parser):
        parser.add_argument("--anchors-file", help="JSON lines as printed by `manage.py audit_anchor`.")

    def handle(self, *args, **options):
        anchors = []
        if options["anchors_file"]:
            try:
                with open(options["anchors_file"], encoding="utf-8") as lines:
                    anchors = services.read_anchors(lines, options["anchors_file"])
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        result = services.trail_verify(actor=system_actor(), anchors=anchors)
        summary = f"{result.checked} entries and {result.anchors_checked} anchors checked."
        if not result.ok:
            raise CommandError(f"The audit trail is broken. {result.problem} ({summary})", returncode=1)
        self.stdout.write(f"The audit trail is intact: {summary}")
