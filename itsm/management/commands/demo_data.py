"""`manage.py demo_data`: demo users (one per role), teams, customers and a small CMDB, for trying the product.

Safe to run again: it creates what is missing and leaves what exists alone (a renamed or
edited demo object is not reset). It refuses to run with DEBUG off unless --force, because
accounts with a published password do not belong in production.

The CMDB part (five services, 65 CIs, 135 relationships, one baseline) lives in
config_items/demo.py; its CIs are keyed by source "demo" and external ID. About 300 incidents
over the last 90 days (incidents/demo.py) are loaded once.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from config_items import demo as cmdb_demo
from incidents import demo as incident_demo
from itsm import services
from itsm.choices import Role
from itsm.models import Customer, Team, User
from itsm.outbox import withheld
from itsm.records import save_with_history
from slas import demo as sla_demo

# Published in README.md and printed by the command: never use it outside a demo.
DEMO_PASSWORD = "itsm-demo-2025"

# username, first name, last name, role
USERS = [
    ("admin", "Ada", "Admin", Role.ADMINISTRATOR),
    ("agent", "Alex", "Agent", Role.AGENT),
    ("lead", "Lee", "Lead", Role.TEAM_LEAD),
    ("changemgr", "Charlie", "Change", Role.CHANGE_MANAGER),
    ("cab", "Casey", "Board", Role.CAB_MEMBER),
    ("auditor", "Audrey", "Auditor", Role.AUDITOR),
    ("requester", "Robin", "Requester", Role.REQUESTER),
    ("netlead", "Nina", "Network", Role.TEAM_LEAD),
    ("netagent", "Noah", "Network", Role.AGENT),
    ("applead", "Priya", "Application", Role.TEAM_LEAD),
    ("appagent", "Sam", "Application", Role.AGENT),
]

# name, email, lead, other members
TEAMS = [
    ("Service Desk", "servicedesk@example.com", "lead", ["agent"]),
    ("Network Operations", "netops@example.com", "netlead", ["netagent", "agent"]),
    ("Application Support", "appsupport@example.com", "applead", ["appagent"]),
]

CUSTOMERS = [
    {"code": "acme", "name": "Acme Manufacturing", "email": "it@acme.example.com"},
    {"code": "globex", "name": "Globex Retail", "email": "helpdesk@globex.example.com"},
]


class Command(BaseCommand):
    help = (
        "Create demo users (one per role), teams, customers and a small CMDB (services, CIs, relationships). "
        "Idempotent. Not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with a published password).",
        )
        parser.add_argument(
            "--incidents",
            type=int,
            default=incident_demo.COUNT,
            help="How many demo incidents to create the first time (default %(default)s; 0 for none).",
        )

    def handle(self, *args, force=False, incidents=incident_demo.COUNT, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo accounts with a published password "
                "(use --force on a throwaway installation)."
            )
        # The demo's past does not email anyone (hundreds of messages would also hold up the
        # embedded task queue); what happens from now on, the escalation demo included, does.
        with transaction.atomic(), withheld("demo data: history, not sent"):
            created = self._users() + self._teams() + self._customers()
            cmdb = cmdb_demo.load(admin=User.objects.get(username="admin"))
            incidents = incident_demo.load(count=incidents) if incidents > 0 else {"incidents": 0}
            slas = sla_demo.load()
        self.stdout.write(f"Demo data: {created} object(s) created, the rest already existed.")
        self.stdout.write(
            f"Demo CMDB: {cmdb['cis']} CI(s), {cmdb['relationships']} relationship(s) and "
            f"{cmdb['baselines']} baseline(s) created, the rest already existed."
        )
        self.stdout.write(f"Demo incidents: {incidents['incidents']} created over the last 90 days "
                          "(none when they already exist).")
        self.stdout.write(
            f"Demo service levels: {slas['calendars']} calendar(s), {slas['agreements']} agreement(s), "
            f"{slas['targets']} target(s), {slas['timers']} timer(s) and {slas['incidents']} incident(s) created; "
            f"“{sla_demo.ESCALATION_INCIDENT}” escalates within minutes."
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD!r}):")
        for username, first, last, role in USERS:
            self.stdout.write(f"  {username:<10} {Role(role).label}")

    def _users(self) -> int:
        system = services.system_actor()
        created = 0
        for username, first, last, role in USERS:
            if User.objects.filter(username=username).exists():
                continue
            user = User(username=username, first_name=first, last_name=last, email=f"{username}@example.com")
            if role == Role.ADMINISTRATOR:
                user.is_staff = user.is_superuser = True  # the Django admin site needs both
            user.set_password(DEMO_PASSWORD)
            save_with_history(user, actor=system, reason="demo data")
            # get_or_create: migration 0002 makes the groups, but a test database flush removes them.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            created += 1
        return created

    def _teams(self) -> int:
        system = services.system_actor()
        created = 0
        for name, email, lead, members in TEAMS:
            if Team.objects.filter(name=name).exists():
                continue
            services.team_create(
                actor=system,
                data={"name": name, "email": email, "lead": User.objects.get(username=lead)},
                members=list(User.objects.filter(username__in=members)),
            )
            created += 1
        return created

    def _customers(self) -> int:
        system = services.system_actor()
        created = 0
        for data in CUSTOMERS:
            if Customer.objects.filter(Q(code=data["code"]) | Q(name=data["name"])).exists():
                continue
            services.customer_create(actor=system, data=dict(data))
            created += 1
        return created
