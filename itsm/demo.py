"""Demo data: the registry of demo steps that `manage.py demo_data` runs, and the kernel's own
step (one user per role, teams, customers).

Each app registers its step in `AppConfig.ready()`, so the kernel's command names no app and a
process app that is not installed adds nothing:

    # incidents/apps.py, in IncidentsConfig.ready()
    from itsm.demo import DemoOption, DemoStep, register
    register(DemoStep("incidents", order=300, load=_load_incidents,
                      options=(DemoOption("--incidents", type=int, default=COUNT, help="..."),)))

`load(options)` receives the command's options (a dict: each step's own `DemoOption`s among
them, under their `dest`), creates what is missing (a second run adds nothing) and returns the
lines to report. Steps run in ascending `order` in one transaction; outbox messages written
meanwhile are withheld (`itsm.outbox.withheld`): the demo's past emails nobody.

Orders in use: 0 the kernel (users, teams, customers), 100 the CMDB, 300 the incident
history, 350 the problems, 400 the service levels, 500 the incidents' SLA timers and the escalation demo, 900 the audit
trail (sealed after every other step), a sample and an evidence bundle.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db.models import Q

from . import services
from .choices import Role
from .models import Customer, Team, User
from .records import save_with_history

# Published in README.md and printed by the command: never use it outside a demo.
DEMO_PASSWORD = "itsm-demo-2025"


@dataclass(frozen=True)
class DemoOption:
    """A command-line option of `manage.py demo_data` that a step reads."""

    flag: str  # "--incidents"
    type: type = str
    default: object = None
    help: str = ""

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    load: Callable[[dict], list[str]]
    options: tuple[DemoOption, ...] = field(default=())


_steps: dict[str, DemoStep] = {}


def register(step: DemoStep) -> None:
    """Add a step (in `AppConfig.ready()`); registering the same name again replaces it."""
    _steps[step.name] = step


def steps() -> list[DemoStep]:
    """The registered steps in the order they run."""
    return sorted(_steps.values(), key=lambda step: (step.order, step.name))


# --- the kernel's step ------------------------------------------------------------------------

# username, first name, last name, role
USERS = [
    ("admin", "Ada", "Admin", Role.ADMINISTRATOR),
    ("agent", "Alex", "Agent", Role.AGENT),
    ("lead", "Lee", "Lead", Role.TEAM_LEAD),
    ("problemmgr", "Pat", "Problem", Role.PROBLEM_MANAGER),
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


def load_kernel(options: dict) -> list[str]:
    """The demo users (one per role), teams and customers that are missing."""
    created = _users() + _teams() + _customers()
    return [f"Demo data: {created} object(s) created, the rest already existed."]


def _users() -> int:
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


def _teams() -> int:
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


def _customers() -> int:
    system = services.system_actor()
    created = 0
    for data in CUSTOMERS:
        if Customer.objects.filter(Q(code=data["code"]) | Q(name=data["name"])).exists():
            continue
        services.customer_create(actor=system, data=dict(data))
        created += 1
    return created
