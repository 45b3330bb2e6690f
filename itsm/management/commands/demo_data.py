"""`manage.py demo_data`: demo users (one per role), teams, customers, and each installed app's demo
(a small CMDB, about 300 incidents over the last 90 days, service levels...), for trying the product.

The steps come from the registry in itsm/demo.py, where each app adds its own in
`AppConfig.ready()`; they run in their order, in one transaction.

Safe to run again: it creates what is missing and leaves what exists alone (a renamed or
edited demo object is not reset). It refuses to run with DEBUG off unless --force, because
accounts with a published password do not belong in production.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from itsm import demo
from itsm.choices import Role
from itsm.demo import DEMO_PASSWORD, USERS
from itsm.outbox import withheld

__all__ = ["DEMO_PASSWORD", "Command"]


class Command(BaseCommand):
    help = (
        "Create demo users (one per role), teams, customers and the demo data of every installed app "
        "(CMDB, incidents, service levels...). Idempotent. Not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with a published password).",
        )
        for step in demo.steps():
            for option in step.options:
                parser.add_argument(option.flag, dest=option.dest, type=option.type, default=option.default,
                                    help=option.help)

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo accounts with a published password "
                "(use --force on a throwaway installation)."
            )
        lines = []
        # The demo's past does not email anyone (hundreds of messages would also hold up the
        # embedded task queue); what happens from now on, the escalation demo included, does.
        with transaction.atomic(), withheld("demo data: history, not sent"):
            for step in demo.steps():
                lines += step.load(options)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD!r}):")
        for username, _first, _last, role in USERS:
            self.stdout.write(f"  {username:<10} {Role(role).label}")
