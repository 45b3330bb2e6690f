"""`manage.py detect_problem_trends [--window-days N] [--threshold N]`: run trend detection now
(the beat runs it hourly: problems.tasks.detect_trends), as the system account.

Prints one line per proposal created or refreshed; exits 1 with a line saying what is wrong
when the window or threshold is refused.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from itsm.exceptions import messages_of

from ...services import trend_detect


class Command(BaseCommand):
    help = "Propose recurring incidents (not linked to a problem) as candidate problems."

    def add_arguments(self, parser):
        parser.add_argument("--window-days", type=int, default=None,
                            help="Look at incidents opened in this many last days (default: "
                                 "PROBLEM_TREND_WINDOW_DAYS).")
        parser.add_argument("--threshold", type=int, default=None,
                            help="Propose groups of at least this many incidents (default: PROBLEM_TREND_THRESHOLD).")

    def handle(self, *args, window_days, threshold, **options):
        try:
            proposals = trend_detect(window_days=window_days, threshold=threshold)
        except ValidationError as exc:
            raise CommandError("; ".join(messages_of(exc))) from None
        for proposal in proposals:
            self.stdout.write(f"{proposal.pk}: {proposal.incident_count} incidents — {proposal.title}")
        self.stdout.write(f"{len(proposals)} proposals created or refreshed.")
