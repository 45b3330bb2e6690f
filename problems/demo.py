"""Demo data of problem management: step 350 of `manage.py demo_data`, after the incident history
(300) and before the service levels (400, 500).

A dozen problems in every state, each built through problems.services by the demo users (the
teams' agents and leads, the problem manager `problemmgr`) and linked to the demo incidents
they are about (incidents/demo.py: chosen by their short description, service and CIs):

- the 41-day-old major incident "Online Shop checkout down for all customers" gets its problem
  (an expired client certificate towards the payment provider: root cause, workaround, fix,
  resolved, closed) and is then closed, which a major incident may only do with a problem;
- three known errors on the CIs and services of demo incidents (the shop database, single
  sign-on, the VPN firewall; the VPN one is stale: published long ago, still without a fix), so
  the incident pages suggest them; their workaround applied to incidents that came later;
- a problem resolved with the incidents that waited on it resumed;
- investigation tasks, open and done; a cancelled problem; a proactive one;
- trend detection run once at the end: the recurring demo incidents left unlinked (the full
  mailboxes, ...) become pending proposals.

Like the incident history, each service call runs at a planned instant in the past and what it
wrote (the problems', tasks', links' and incidents' instants, their history rows, journal
entries and domain events) is then moved to that instant with queryset updates restricted to
the rows stamped during the call. Rewriting recorded instants is acceptable in demo set-up only.

A second run adds nothing: the step stops when the certificate problem exists. Without demo
incidents (`--incidents 0`) it does nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from config_items.models import ConfigurationItem
from incidents.choices import IncidentState
from incidents.models import Category, Incident
from incidents.services import incident_transition
from itsm.models import DomainEvent, JournalEntry, Team, User
from itsm.services import system_actor

from . import services
from .choices import LinkedIncidentsOnResolve, ProblemResolutionCode, ProblemSource
from .models import Problem, ProblemIncident, ProblemTask, RootCauseCategory, TrendProposal

ORDER = 350
DESK, NET, APPS = "Service Desk", "Network Operations", "Application Support"
MAJOR = "Online Shop checkout down for all customers"
OPEN_MAJOR = "Single sign-on outage: nobody can sign in"
CERTIFICATE = "Expired client certificate towards the payment provider"
OPEN_INCIDENT = (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)
HOLDABLE = (IncidentState.NEW, IncidentState.IN_PROGRESS)
ROOT_CAUSE_CATEGORIES = ("Software defect", "Configuration error", "Capacity", "Expired certificate or credential",
                         "Third party", "Hardware failure")


@dataclass(frozen=True)
class Task:
    text: str
    assignee: str
    created: float  # days ago
    done: float | None = None  # days ago; None: still open
    outcome: str = ""


@dataclass(frozen=True)
class Spec:
    """One demo problem. Instants are days before now; None: the step is not taken."""

    title: str
    description: str
    team: str
    assignee: str | None
    opened: float
    service: str | None = None
    cis: tuple[str, ...] = ()
    category: str | None = None
    source: str = ProblemSource.RECURRING_INCIDENTS
    impact: int = 2
    urgency: int = 2
    incidents: tuple[str, ...] = ()  # demo incidents linked while they were open
    from_major: str | None = None  # made from this major incident (and its children)
    hold: bool = False  # open incidents linked wait on the problem
    assess: float | None = None
    analyse: float | None = None
    root_cause: str = ""
    root_cause_category: str = ""
    root_cause_found: float | None = None
    workaround: str = ""
    known_error: float | None = None
    tasks: tuple[Task, ...] = ()
    fix: str = ""
    resolution_notes: str = ""
    resolved: float | None = None
    closed: float | None = None
    cancel_reason: str = ""
    cancelled: float | None = None


SPECS = (
    Spec(CERTIFICATE, "The payment gateway connector's client certificate for the payment provider expired; every "
         "payment was refused with a TLS handshake error and the whole checkout failed.",
         APPS, "appagent", opened=41 - 3.6 / 24, from_major=MAJOR, impact=1, urgency=1,
         analyse=41 - 3.7 / 24, root_cause="The client certificate of the payment gateway connector expired: it "
         "was renewed by hand once a year and nobody was reminded.", root_cause_category="Expired certificate or "
         "credential", root_cause_found=41 - 4 / 24,
         workaround="Renew the client certificate with the provider's portal and restart the payment connector.",
         known_error=41 - 5 / 24,
         tasks=(Task("List every certificate that expires within a year", "appagent", 40.5, 38,
                     "Eleven certificates found; two expire within 90 days."),
                Task("Monitor certificate expiry 30 days ahead", "netagent", 40.5, 36,
                     "Zabbix checks every certificate daily; warnings from 30 days before expiry.")),
         fix="Certificates renewed automatically (ACME client) and their expiry monitored.",
         resolution_notes="Automatic renewal in place; the next expiry was renewed without anyone's help.",
         resolved=34, closed=4),
    Spec("Nightly ERP batch job stops at the stock valuation step",
         "The nightly batch run fails about twice a month; the stock figures are then a day old.",
         APPS, "appagent", opened=84, service="svc-erp", cis=("app-erp-batch",), category="Software",
         incidents=("Nightly ERP batch job failed",), analyse=83, root_cause="The batch scheduler's job timeout "
         "(2 h) is shorter than the stock valuation takes at month end.", root_cause_category="Configuration error",
         root_cause_found=81, workaround="Run the job again by hand from the scheduler after 06:00.",
         known_error=80, tasks=(Task("Compare the job's run times with its timeout", "appagent", 83, 81,
                                     "Month-end runs take 2 h 20 min; the timeout is 2 h."),),
         fix="Job timeout raised to 4 h; scheduler upgraded to 17.0.3.",
         resolution_notes="No failure since the change.", resolved=70, closed=40),
    Spec("Accounts lock after a password change",
         "After changing their password, people are locked out within minutes, again and again.",
         DESK, "agent", opened=9, service="svc-sso", cis=("app-ldap",), category="Access",
         incidents=("Account locked after a password change",), hold=True, assess=8.9, analyse=8,
         root_cause="Phones keep signing in to the mail server with the old password; the directory locks the "
         "account after five failures.", root_cause_category="Configuration error", root_cause_found=7,
         workaround="Unlock the account and ask the caller to enter the new password on their phone first.",
         known_error=6.5, tasks=(Task("Find which client causes the failed sign-ins", "agent", 8, 7,
                                      "ActiveSync from the callers' phones, every 30 seconds."),),
         fix="The mobile device profile now asks for the new password; failed ActiveSync sign-ins no longer count "
         "towards the lock-out.", resolution_notes="Policy and device profile changed; no lock-out since.",
         resolved=0.02),
    Spec("Shop database slow under reporting queries",
         "Shop pages and the back office slow down while long reporting queries run on the shop database.",
         APPS, "appagent", opened=32, service="svc-dbplatform", cis=("db-shop", "db-shop-replica"),
         category="Database", incidents=("Slow queries on the shop database",), assess=31.8, analyse=31,
         root_cause="Reporting queries run on the primary instead of the replica and hold locks for minutes.",
         root_cause_category="Capacity", root_cause_found=27,
         workaround="Stop reporting queries older than 5 minutes (script kill-long-queries on db-shop), then ask "
         "the reporting team to use the replica.", known_error=25,
         tasks=(Task("Move the reporting connections to the replica", "applead", 24, None),)),
    Spec("Single sign-on loops back to the start page",
         "Signing in through single sign-on returns to the start page instead of the application.",
         APPS, "applead", opened=72, service="svc-sso", cis=("app-keycloak",), category="Access",
         incidents=("Single sign-on login loops back to the start page",), analyse=71,
         root_cause="A stale session cookie from before the identity provider's upgrade is sent with every sign-in.",
         root_cause_category="Software defect", root_cause_found=67,
         workaround="Delete the browser's cookies for sso.example.com, or sign in from a private window.",
         known_error=65),
    Spec("VPN drops every few minutes for remote staff",
         "Remote staff lose the VPN connection every few minutes and reconnect by hand.",
         NET, "netagent", opened=120, cis=("net-fw-01",), category="Network",
         incidents=("VPN disconnects every few minutes",), analyse=118,
         root_cause="The firewall's IKE rekey interval is shorter than the clients' keep-alive after its firmware "
         "update.", root_cause_category="Third party", root_cause_found=105,
         workaround="Switch the VPN client to the 'TCP 443' profile; it rekeys without dropping.", known_error=100),
    Spec("Single sign-on outage: identity provider nodes refuse every sign-in",
         "Both identity provider nodes refuse every sign-in since this morning.",
         APPS, "applead", opened=0.15 - 40 / 1440, from_major=OPEN_MAJOR, impact=1, urgency=1,
         analyse=0.15 - 50 / 1440,
         tasks=(Task("Collect the identity provider logs of both nodes", "appagent", 0.15 - 55 / 1440),
                Task("Check the directory replication between ldap-01 and ldap-02", "netagent", 0.15 - 55 / 1440))),
    Spec("ERP order entry times out at peak hours",
         "Saving an order in the ERP times out between 09:00 and 11:00.",
         APPS, "appagent", opened=21, service="svc-erp", cis=("app-erp-core",), category="Software",
         incidents=("ERP order entry times out",), assess=20.5, analyse=19,
         tasks=(Task("Profile the order entry transaction", "appagent", 19, 15,
                     "80 % of the time is spent waiting for a database connection."),
                Task("Review the ERP database connection pool", "applead", 15, None))),
    Spec("Wi-Fi in the operations office drops several times a day",
         "Laptops in the operations office lose the Wi-Fi for a few seconds, several times a day.",
         NET, "netagent", opened=64, cis=("net-ap-hq-01",), category="Network",
         incidents=("Wi-Fi in the operations office keeps dropping",), assess=63),
    Spec("Product images missing on the storefront",
         "Some product pages show no images; reloading sometimes helps.",
         APPS, None, opened=11, service="svc-shop", cis=("app-shop-front",), category="Software",
         incidents=("Product images missing on the storefront",)),
    Spec("SAN write latency rises during the nightly backup",
         "Monitoring shows the SAN's write latency rising every night while the backup runs; nobody has noticed "
         "it yet, but the margin is shrinking.", NET, "netagent", opened=2, cis=("sto-san-01",),
         category="Hardware", source=ProblemSource.PROACTIVE, impact=3, urgency=3),
    Spec("Mail to external addresses bounces",
         "Mail to some external domains bounces with '451 temporary failure'.",
         DESK, "agent", opened=61.5, service="svc-email", cis=("app-postfix",), category="Software",
         incidents=("Cannot send mail to external addresses",),
         cancel_reason="Not ours: the mail provider's relay failed (their report RFO-2291); nothing of ours to fix.",
         cancelled=58),
)


def register() -> None:
    from itsm.demo import DemoStep, register

    register(DemoStep("problems", order=ORDER, load=demo_step))


def demo_step(options: dict) -> list[str]:
    """Step 350: the demo problems, known errors and trend proposals (once)."""
    if Problem.objects.filter(short_description=CERTIFICATE).exists():
        return ["Demo problems: already loaded."]
    if not Incident.objects.filter(short_description=MAJOR, is_major=True).exists():
        return ["Demo problems: none (they need the demo incidents)."]
    demo = _Demo(timezone.now())
    for spec in SPECS:
        demo.build(spec)
    proposals = services.trend_detect()
    return [f"Demo problems: {len(SPECS)} created ({Problem.objects.known_errors().count()} known-error entries), "
            f"{ProblemIncident.objects.count()} incidents linked, {len(proposals)} trend proposal(s) pending; "
            f"the major incident “{MAJOR}” closed with its problem."]


# --- moving what a call wrote to its planned instant --------------------------------------------

MOVED_MODELS = (Problem, ProblemTask, ProblemIncident, TrendProposal, Incident, JournalEntry, DomainEvent)


def _movable() -> list[tuple[type, list[str]]]:
    """Every table a problem service call writes instants into, with its date-time columns."""
    tables = []
    for model in MOVED_MODELS:
        history = getattr(model, "history", None)
        for table in (model, history.model if history is not None else None):
            if table is not None:
                tables.append((table, [f.attname for f in table._meta.concrete_fields
                                       if isinstance(f, models.DateTimeField)]))
    return tables


@dataclass
class _Demo:
    now: datetime
    tables: list = field(default_factory=_movable)

    def __post_init__(self):
        self.users = {user.username: user for user in User.objects.filter(
            username__in=["agent", "lead", "netagent", "netlead", "appagent", "applead", "problemmgr", "admin"])}
        self.manager = self.users.get("problemmgr") or self.users["admin"]
        self.teams = {team.name: team for team in Team.objects.filter(name__in=[DESK, NET, APPS])}
        self.cis = {ci.external_id: ci for ci in ConfigurationItem.objects.filter(source="demo")}
        self.categories = {c.name: c for c in Category.objects.filter(parent=None)}
        self.causes = self._root_cause_categories()

    def at(self, instant: datetime, call):
        """Run one service call as if at `instant` (in the past); returns its result."""
        instant = min(instant, self.now - timedelta(minutes=1))
        started = timezone.now()
        result = call()
        for table, names in self.tables:
            for name in names:  # demo set-up only: see the module's docstring
                table.objects.filter(**{f"{name}__gte": started}).update(**{name: instant})
        return result

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def _root_cause_categories(self) -> dict[str, RootCauseCategory]:
        admin = self.users["admin"]
        existing = {c.name: c for c in RootCauseCategory.objects.filter(name__in=ROOT_CAUSE_CATEGORIES)}
        for name in ROOT_CAUSE_CATEGORIES:
            if name not in existing:
                existing[name] = services.root_cause_category_create(actor=admin, data={"name": name})
        return existing

    # --- one problem --------------------------------------------------------------------------

    def build(self, spec: Spec) -> Problem:
        problem = self._open(spec)
        steps = self._workflow_steps(spec) + self._task_steps(spec) + self._link_steps(spec, problem)
        for instant, call in sorted(steps, key=lambda step: step[0]):
            self.at(instant, lambda call=call: call(problem))
        if spec.from_major == MAJOR:
            self._close_major(problem)
        return problem

    def _open(self, spec: Spec) -> Problem:
        assignee = self.users.get(spec.assignee) if spec.assignee else None
        worker = assignee or self.users["lead"]
        data = {"short_description": spec.title, "description": spec.description, "source": spec.source,
                "impact": spec.impact, "urgency": spec.urgency, "problem_manager": self.manager,
                "assignment_group": self.teams[spec.team], "assignee": assignee}
        if spec.from_major:
            major = Incident.objects.get(short_description=spec.from_major, is_major=True)
            incidents = [major, *major.children.order_by("pk")]
            return self.at(self.ago(spec.opened), lambda: services.problem_from_incidents(
                actor=worker, incidents=incidents, data={**data, "source": ProblemSource.MAJOR_INCIDENT}))
        data.update(service=self.cis.get(spec.service) if spec.service else None,
                    cis=[self.cis[key] for key in spec.cis if key in self.cis],
                    category=self.categories.get(spec.category))
        return self.at(self.ago(spec.opened), lambda: services.problem_create(actor=worker, data=data))

    def _workflow_steps(self, spec: Spec) -> list:
        worker = self.users.get(spec.assignee) or self.users["lead"]
        pm = self.manager

        def step(actor, name, data=None, **options):
            return lambda problem: services.problem_transition(actor=actor, problem=problem, name=name,
                                                               data=data or {}, **options)

        cause = {"root_cause": spec.root_cause, "root_cause_category": self.causes.get(spec.root_cause_category)}
        planned = [
            (spec.assess, step(worker, "assess")),
            (spec.analyse, step(worker, "analyse")),
            (spec.root_cause_found, lambda problem: services.problem_update(
                actor=worker, problem=problem, data=cause, reason="root cause found")),
            (spec.known_error, step(pm, "publish_known_error", {**cause, "workaround": spec.workaround})),
            (spec.resolved, step(pm, "resolve", {"resolution_code": ProblemResolutionCode.FIXED, "fix": spec.fix,
                                                 "resolution_notes": spec.resolution_notes},
                                 linked_incidents=LinkedIncidentsOnResolve.RESUME)),
            (spec.closed, step(pm, "close")),
            (spec.cancelled, step(pm, "cancel", {"cancel_reason": spec.cancel_reason})),
        ]
        return [(self.ago(days), call) for days, call in planned if days is not None]

    def _task_steps(self, spec: Spec) -> list:
        steps = []
        for task in spec.tasks:
            made = {}

            def create(problem, task=task, made=made):
                made["task"] = services.problem_task_create(actor=self.users.get(spec.assignee) or self.manager,
                                                            problem=problem, data={
                    "short_description": task.text, "assignee": self.users[task.assignee],
                    "due_date": timezone.localdate(self.ago(task.created - 7))})

            def finish(problem, task=task, made=made):
                services.problem_task_finish(actor=self.users[task.assignee], task=made["task"], outcome=task.outcome)

            steps.append((self.ago(task.created), create))
            if task.done is not None:
                steps.append((self.ago(task.done), finish))
        return steps

    def _link_steps(self, spec: Spec, problem: Problem) -> list:
        """Each demo incident of the spec linked while it was open: when the problem was opened, or
        30 minutes after the incident was if later; one already closed by then stays history.
        An incident still open that came after the known error was published gets its workaround
        applied (and is linked as spared an investigation); with `hold`, open ones wait."""
        if not spec.incidents:
            return []
        opened = self.ago(spec.opened)
        ends = [days for days in (spec.resolved, spec.cancelled) if days is not None]
        until = self.ago(max(ends)) if ends else self.now  # nothing linked after the resolution
        published = self.ago(spec.known_error) if spec.known_error is not None else None
        steps = []
        incidents = Incident.objects.filter(short_description__in=spec.incidents, is_major=False, parent=None)
        for incident in incidents.exclude(pk__in=ProblemIncident.objects.values("incident_id")).order_by("opened_at"):
            instant = max(opened, incident.opened_at) + timedelta(minutes=30)
            if incident.closed_at is not None and incident.closed_at <= instant:
                continue
            if spec.hold and incident.state in HOLDABLE:
                instant = max(instant, incident.updated_at + timedelta(minutes=5))
            if instant >= until:
                continue
            steps.append((instant, self._linker(spec, incident, instant, published)))
        return steps

    def _linker(self, spec: Spec, incident: Incident, instant: datetime, published: datetime | None):
        worker = self.users.get(spec.assignee) or self.users["lead"]
        spared = published is not None and incident.opened_at > published
        hold = spec.hold and incident.state in HOLDABLE
        if spared and not hold and incident.state in OPEN_INCIDENT:
            desk = incident.assignee if incident.assignee_id else self.users["agent"]
            return lambda problem: services.known_error_apply(actor=desk, problem=problem, incident=incident,
                                                              public=True)
        return lambda problem: services.problem_link_incidents(actor=worker, problem=problem, incidents=[incident],
                                                               hold=hold, via_known_error=spared)

    def _close_major(self, problem: Problem) -> None:
        """The major incident closes three days after its resolution, now that it has its problem."""
        major = Incident.objects.get(short_description=MAJOR, is_major=True)
        if major.state != IncidentState.RESOLVED:
            return
        self.at(major.resolved_at + timedelta(days=3), lambda: incident_transition(
            actor=system_actor(), incident=major, name="close",
            reason=f"Closed automatically 3 days after resolution; problem {problem.number}"))
