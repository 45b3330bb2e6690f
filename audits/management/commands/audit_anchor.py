import json

from django.core.management.base import BaseCommand

from audits import services
from audits.models import AuditAnchor


class Command(BaseCommand):
    help = ("Print the audit trail's anchors as JSON lines (newest last), to keep outside the database; "
            "--record records one for the current head first.")

    def add_arguments(self, parser):
        parser.add_argument("--record", action="store_true", help="Seal and anchor the current head first.")
        parser.add_argument("--all", action="store_true", help="Print every anchor, not only the latest.")

    def handle(self, *args, **options):
        if options["record"]:
            services.anchor_record()
        anchors = AuditAnchor.objects.order_by("id")
        chosen = list(anchors) if options["all"] else list(anchors.reverse()[:1])
        if not chosen:
            self.stderr.write("No anchor recorded yet: run with --record.")
        for anchor in chosen:
            self.stdout.write(json.dumps(anchor.as_dict()))
