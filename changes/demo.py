"""Demo data of change management: step 360 of `manage.py demo_data`, after the CMDB, the
incidents (300) and the problems (350).

Built through changes.services by the demo users (agents and leads raise and implement, the
change manager `changemgr` runs the workflow, `cab` and the team leads sit on the weekly CAB):

- the set-up an administrator makes: change categories, a risk questionnaire with thresholds,
  a standard-change catalogue (one template whose approval has lapsed), a weekly CAB and an
  emergency CAB with the approval rules that ask them, a year-end blackout, maintenance windows
  of the ERP service and the shop database, an exempt discovery source;
- changes in every state: new, in assessment, awaiting the CAB (with one approval given), one
  scheduled into the year-end freeze with its conflict overridden, one being implemented, one
  in review, closed ones (successful, one failed with its review, an emergency with its
  retrospective review, a standard change deployed by a pipeline) and a cancelled one;
- two CI changes made in the CMDB without a change, found by unauthorised-change detection.

Changes that finished in the past are walked through their workflow now, then moved back in
time as a whole (their instants, history rows, journal entries, events and approvals), so the
reports have weeks to show. Rewriting recorded instants is acceptable in demo set-up only.

A second run adds nothing: the step stops when the questionnaire exists.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F
from django.utils import timezone

from config_items.models import ConfigurationItem
from config_items.services import ci_update
from itsm.approval_models import ApprovalDecision, ApprovalRequest, Quorum
from itsm.models import DomainEvent, JournalEntry, Team, User

from .choices import ChangeModel, RiskLevel, WindowKind
from .models import ApprovalRule, Change, ChangeConflict, RiskQuestion, StandardChangeTemplate
from .services import approval_rules, cab, catalogue, records, risk, states, unauthorised, windows
from .services.approvals import change_decide
from .services.detection_start import unauthorised_baseline
from .services.pipeline import pipeline_finish, pipeline_start
from .services.proposals import proposal_add

ORDER = 360
DESK, NET, APPS = "Service Desk", "Network Operations", "Application Support"
BERLIN = ZoneInfo("Europe/Berlin")

QUESTIONS = [
    ("How many users lose service while the change is made?",
     [("None", 0), ("A team", 2), ("A department or one customer", 4), ("Several customers", 6)]),
    ("Has the change been tested in an environment like production?",
     [("Yes, in staging with production data", 0), ("Yes, in a test environment", 2), ("No", 5)]),
    ("How long does backing it out take?", [("Under 15 minutes", 0), ("Under 2 hours", 2), ("Longer, or not possible", 5)]),
    ("Has the team made this kind of change before?", [("Often", 0), ("Once or twice", 1), ("Never", 3)]),
]
THRESHOLDS = {RiskLevel.MODERATE: 4, RiskLevel.HIGH: 9, RiskLevel.VERY_HIGH: 14}


def register() -> None:
    from itsm.demo import DemoStep, register

    register(DemoStep("changes", order=ORDER, load=demo_step))


def demo_step(options: dict) -> list[str]:
    """Step 360: change management's set-up, changes in every state, two unauthorised CI changes."""
    if RiskQuestion.objects.exists():
        return ["Demo changes: already loaded."]
    if not ConfigurationItem.objects.filter(source="demo").exists():
        return ["Demo changes: none (they need the demo CMDB)."]
    demo = _Demo(timezone.now())
    demo.set_up()
    demo.changes()
    found = demo.unauthorised_ci_changes()
    return [f"Demo changes: {Change.objects.count()} changes, {ApprovalRule.objects.count()} approval rules, "
            f"a weekly CAB and an emergency CAB, {found} unauthorised CI change(s) found."]


class _Demo:
    def __init__(self, now: datetime):
        self.now = now
        self.users = {u.username: u for u in User.objects.filter(username__in=[
            "admin", "agent", "lead", "netagent", "netlead", "appagent", "applead", "changemgr", "cab"])}
        self.admin, self.manager = self.users["admin"], self.users["changemgr"]
        self.teams = {team.name: team for team in Team.objects.filter(name__in=[DESK, NET, APPS])}
        self.cis = {ci.external_id: ci for ci in ConfigurationItem.objects.filter(source="demo")}
        self.templates = {}
        self.categories = {}

    # --- what an administrator sets up ---------------------------------------------------------

    def set_up(self) -> None:
        admin = self.admin
        for name in ("Software", "Infrastructure", "Network", "Security", "Database"):
            self.categories[name] = catalogue.category_create(actor=admin, data={"name": name})
        for order, (text, answers) in enumerate(QUESTIONS):
            risk.risk_question_create(actor=admin, data={"text": text, "order": order, "options": [
                {"text": answer, "weight": weight} for answer, weight in answers]})
        risk.risk_thresholds_set(actor=admin, scores=THRESHOLDS)
        self._catalogue()
        self._boards_and_rules()
        self._windows()
        unauthorised.exempt_source_create(actor=admin, data={
            "source": "vmware-discovery", "reason": "The VMware inventory sync records what already runs."})
        unauthorised_baseline()  # detection starts now: the demo CMDB was built after the install

    def _catalogue(self) -> None:
        admin, today = self.admin, timezone.localdate(self.now)
        specs = [
            ("Monthly OS patching of a Linux VM", "Patch a Linux VM to the month's security updates",
             "Infrastructure", NET, 90, today + timedelta(days=150)),
            ("Renew a TLS certificate", "Renew a server's TLS certificate before it expires", "Security", APPS, 30,
             today + timedelta(days=200)),
            ("Deploy a shop release through the pipeline", "Deploy a tested shop release", "Software", APPS, 45,
             today + timedelta(days=90)),
            ("Open a firewall port for an application", "Open one port between two known zones", "Network", NET, 30,
             today - timedelta(days=12)),  # its approval lapsed: using it is refused until reviewed
        ]
        for name, text, category, team, minutes, review in specs:
            template = catalogue.template_create(actor=admin, data={
                "name": name, "short_description": text, "category": self.categories[category],
                "description": f"Pre-approved: {text.lower()}.",
                "implementation_plan": "Follow the runbook of the template, step by step.",
                "backout_plan": "Restore the snapshot taken before the change.",
                "test_plan": "Run the service's smoke tests; watch monitoring for 15 minutes.",
                "risk": RiskLevel.LOW, "assignment_group": self.teams[team], "duration_minutes": minutes,
                "review_date": today + timedelta(days=365)})
            approved = catalogue.template_approve(actor=self.manager, template=template,
                                                  review_date=max(review, today + timedelta(days=1)),
                                                  notes="Reviewed at the CAB; routine and low risk.")
            if review < today:  # its review is overdue: approved back then, lapsed since (demo only)
                StandardChangeTemplate.objects.filter(pk=approved.pk).update(
                    review_date=review, approved_at=self.now - timedelta(days=380))
            self.templates[name] = approved

    def _boards_and_rules(self) -> None:
        admin, users = self.admin, self.users
        tuesday = self.now.astimezone(BERLIN).replace(hour=14, minute=0, second=0, microsecond=0)
        tuesday -= timedelta(days=(tuesday.weekday() - 1) % 7 + 7)  # the Tuesday before last
        weekly = cab.board_create(actor=admin, data={
            "name": "Weekly CAB", "description": "Authorises normal changes of moderate risk and above.",
            "members": [users["cab"], users["netlead"], users["applead"], self.manager], "chair": self.manager,
            "first_meeting": tuesday, "duration_minutes": 60, "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "time_zone": "Europe/Berlin", "location": "Room 2.14 and video call"})
        emergency = cab.board_create(actor=admin, data={
            "name": "Emergency CAB", "description": "Decides emergency changes at any hour.",
            "members": [users["cab"], self.manager], "chair": self.manager, "is_emergency": True,
            "time_zone": "Europe/Berlin"})
        cab.meetings_plan(actor=self.manager, board=weekly, since=tuesday - timedelta(hours=1),
                          until=self.now + timedelta(days=28))
        approval_rules.approval_rule_create(actor=admin, data={
            "name": "Change manager", "change_model": ChangeModel.NORMAL, "users": [self.manager],
            "quorum": Quorum.ANY, "order": 10})
        approval_rules.approval_rule_create(actor=admin, data={
            "name": "Weekly CAB", "change_model": ChangeModel.NORMAL, "min_risk": RiskLevel.MODERATE,
            "board": weekly, "quorum": Quorum.COUNT, "quorum_value": 2, "order": 20})
        approval_rules.approval_rule_create(actor=admin, data={
            "name": "Emergency CAB", "change_model": ChangeModel.EMERGENCY, "board": emergency,
            "quorum": Quorum.ANY, "order": 30})
        self.weekly = weekly

    def _windows(self) -> None:
        admin, year = self.admin, self.now.astimezone(BERLIN).year
        freeze = datetime(year, 12, 20, tzinfo=BERLIN)
        windows.window_create(actor=admin, data={
            "kind": WindowKind.BLACKOUT, "name": "Year-end freeze", "start": freeze,
            "end": datetime(year + 1, 1, 4, tzinfo=BERLIN), "time_zone": "Europe/Berlin",
            "reason": "Peak season of the shop and year-end closing of the ERP."})
        windows.window_create(actor=admin, data={
            "kind": WindowKind.BLACKOUT, "name": "Month-end closing (ERP)", "service": self.cis["svc-erp"],
            "start": datetime(2026, 1, 31, 0, 0, tzinfo=BERLIN), "end": datetime(2026, 2, 2, 0, 0, tzinfo=BERLIN),
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=-1", "time_zone": "Europe/Berlin",
            "reason": "Finance closes the month: no change to the ERP."})
        windows.window_create(actor=admin, data={
            "kind": WindowKind.MAINTENANCE, "name": "ERP Sunday maintenance", "service": self.cis["svc-erp"],
            "start": datetime(2026, 1, 4, 2, 0, tzinfo=BERLIN), "end": datetime(2026, 1, 4, 6, 0, tzinfo=BERLIN),
            "rrule": "FREQ=WEEKLY;BYDAY=SU", "time_zone": "Europe/Berlin"})
        windows.window_create(actor=admin, data={
            "kind": WindowKind.MAINTENANCE, "name": "Shop database Saturday night", "ci": self.cis["db-shop"],
            "start": datetime(2026, 1, 3, 22, 0, tzinfo=BERLIN), "end": datetime(2026, 1, 4, 2, 0, tzinfo=BERLIN),
            "rrule": "FREQ=WEEKLY;BYDAY=SA", "time_zone": "Europe/Berlin"})

    # --- changes ---------------------------------------------------------------------------------

    def changes(self) -> None:
        self._history()
        self._open_changes()

    def _raise(self, who: str, title: str, *, model=ChangeModel.NORMAL, team=APPS, implementer=None, cis=(),
               services=(), category="Software", **extra):
        data = {"short_description": title, "change_model": model, "assignment_group": self.teams[team],
                "implementer": self.users[implementer] if implementer else None,
                "cis": [self.cis[key] for key in cis], "services": [self.cis[key] for key in services],
                "category": self.categories[category],
                "description": extra.pop("description", ""), "justification": extra.pop("justification", ""),
                "implementation_plan": "1. Announce the change. 2. Apply it node by node. 3. Verify.",
                "backout_plan": "Roll back to the previous version from the snapshot.",
                "test_plan": "Smoke tests of the service, then 30 minutes of monitoring.", **extra}
        return records.change_create(actor=self.users[who], data=data)

    def _assess(self, change, answers: tuple[int, ...]):
        change = states.change_transition(actor=self.manager, change=change, name="assess")
        questions = list(RiskQuestion.objects.filter(is_active=True).prefetch_related("options"))
        chosen = {q.pk: list(q.options.all())[answer].pk for q, answer in zip(questions, answers, strict=True)}
        return risk.change_assess_risk(actor=self.manager, change=change, answers=chosen)

    def _authorise(self, change, approvers=("changemgr",)):
        change = states.change_transition(actor=self.manager, change=change, name="request_authorisation")
        from itsm.approvals import approvals_of

        for request in approvals_of(change):
            for group in request.group_list:
                for username in approvers:
                    user = self.users[username]
                    if any(m.pk == user.pk for m in group.member_list) and group.state == "pending":
                        change = change_decide(actor=user, change=change, group=group, outcome="approve",
                                               comment="Plans and backout are sound.")
                        group.refresh_from_db()
        return change

    def _window_now(self, change, *, before=1, after=2):
        return records.change_update(actor=self.manager, change=change, data={
            "planned_start": self.now - timedelta(hours=before), "planned_end": self.now + timedelta(hours=after)})

    def _history(self) -> None:
        """Finished changes, walked through now and then moved back in time."""
        done = []
        change = self._raise("appagent", "Upgrade the shop API to 3.14.2", implementer="appagent",
                             cis=("app-shop-api",), justification="Fixes the basket rounding defect.")
        change = self._window_now(self._assess(change, (1, 0, 0, 0)))
        change = self._implement(self._authorise(change), "appagent", "successful")
        done.append((self._close(change, "Went as planned."), 40))

        change = self._raise("netagent", "Replace the core switch's power supply", team=NET, implementer="netagent",
                             cis=("net-core-sw-01",), category="Network")
        change = self._window_now(self._assess(change, (2, 1, 1, 1)))
        change = self._implement(self._authorise(change, ("changemgr", "cab", "applead")), "netagent", "successful")
        done.append((self._close(change, ""), 26))

        change = self._raise("appagent", "Migrate the ERP reports to the new reporting database",
                             implementer="appagent", cis=("app-erp-reports",), category="Database")
        change = self._window_now(self._assess(change, (2, 2, 1, 2)))
        change = self._implement(self._authorise(change, ("changemgr", "cab", "netlead")), "appagent", "failed",
                                 notes="Report queries timed out on the new database; backed out after 40 min.")
        done.append((self._close(change, "The new database lacked the reporting indexes. Add them to the "
                                         "migration runbook and repeat with a load test."), 19))

        change = self._raise("lead", "Emergency: block the exploited Keycloak admin endpoint",
                             model=ChangeModel.EMERGENCY, implementer="applead", cis=("app-keycloak",),
                             category="Security", justification="Active exploitation seen in the logs.")
        change = self._window_now(change, before=0.2, after=1)
        change = self._authorise(change, ("changemgr",))
        change = self._implement(change, "applead", "successful")
        done.append((self._close(change, "Retrospective review at the CAB: the right call; the vendor's patch is "
                                         "now planned as a normal change."), 12))

        template = self.templates["Deploy a shop release through the pipeline"]
        change = catalogue.change_create_from_template(actor=self.users["appagent"], template=template, data={
            "short_description": "Shop release 3.14.3 (pipeline)", "implementer": self.users["appagent"],
            "cis": [self.cis["app-shop-front"]], "planned_start": self.now - timedelta(minutes=30),
            "planned_end": self.now + timedelta(minutes=30)}, source="pipeline", schedule=True)
        change = pipeline_start(actor=self.users["appagent"], change=change)
        done.append((pipeline_finish(actor=self.users["appagent"], change=change, outcome="successful",
                                     notes="Pipeline run 4711: all stages green."), 5))
        for change, days in done:
            _shift(change, timedelta(days=days))

    def _implement(self, change, implementer: str, outcome: str, notes: str = ""):
        if change.state == "authorisation":
            change = states.change_transition(actor=self.manager, change=change, name="schedule")
        change = states.change_transition(actor=self.users[implementer], change=change, name="start")
        return states.change_transition(actor=self.users[implementer], change=change, name="complete",
                                        data={"close_code": outcome, "close_notes": notes})

    def _close(self, change, review: str):
        return states.change_transition(actor=self.manager, change=change, name="close",
                                        data={"review_notes": review})

    def _open_changes(self) -> None:
        users = self.users
        self._raise("agent", "Enable mailbox quotas warnings at 90 %", team=DESK, cis=("app-dovecot",))
        self._assess(self._raise("netagent", "Upgrade the VPN firewall firmware", team=NET, implementer="netagent",
                                 cis=("net-fw-01",), category="Network"), (2, 1, 1, 1))

        awaiting = self._raise("applead", "Move the ERP batch jobs to the new scheduler", implementer="appagent",
                               cis=("app-erp-batch",), **self._on_sunday(2))
        awaiting = self._authorise(self._assess(awaiting, (2, 1, 1, 2)), ("cab",))  # 1 of the CAB's 2 so far
        cab.agenda_build(actor=self.manager, meeting=self.weekly.meetings.filter(starts_at__gt=self.now)
                         .order_by("starts_at").first())

        freeze = datetime(self.now.astimezone(BERLIN).year, 12, 22, 21, 0, tzinfo=BERLIN)
        frozen = self._raise("appagent", "Scale out the shop web tier for the holiday peak", implementer="appagent",
                             cis=("vm-shop-web-01",), planned_start=freeze, planned_end=freeze + timedelta(hours=2),
                             justification="The load forecast for 23 December exceeds the web tier's capacity.")
        frozen = self._authorise(self._assess(frozen, (1, 0, 0, 0)))
        states.change_transition(actor=self.manager, change=frozen, name="schedule",
                                 override_reason="Approved by the CAB as the only way to carry the peak; "
                                                 "the business owner accepted the risk.")

        running = self._raise("netagent", "Replace the load balancer's TLS certificate", team=NET,
                              implementer="netagent", cis=("net-lb-01",), category="Security")
        running = self._window_now(self._assess(running, (0, 0, 0, 0)), before=0.5, after=1.5)
        proposal_add(actor=users["netagent"], change=running, data={
            "kind": "attribute", "ci": self.cis["net-lb-01"], "field": "description",
            "after": "Load balancer; TLS certificate renewed in December (valid 13 months)."})
        running = states.change_transition(actor=self.manager, change=self._authorise(running), name="schedule")
        states.change_transition(actor=users["netagent"], change=running, name="start")

        review = self._raise("appagent", "Tune the shop database's connection pool", implementer="appagent",
                             cis=("db-shop",), category="Database")
        review = self._authorise(self._window_now(self._assess(review, (1, 0, 0, 0)), before=1.5, after=0.5))
        self._implement(review, "appagent", "successful_with_issues",
                        notes="Pool size raised; one node needed a second restart.")

        cancelled = self._raise("agent", "Rename the shared printers", team=DESK)
        states.change_transition(actor=self.manager, change=cancelled, name="cancel",
                                 data={"cancel_reason": "Duplicate of the printer replacement project."})

    def _on_sunday(self, weeks: int) -> dict:
        day = self.now.astimezone(BERLIN).replace(hour=2, minute=30, second=0, microsecond=0)
        day += timedelta(days=(6 - day.weekday()) % 7 + 7 * (weeks - 1))
        return {"planned_start": day, "planned_end": day + timedelta(hours=3)}

    # --- the CMDB changed behind change management's back -----------------------------------------

    def unauthorised_ci_changes(self) -> int:
        ci_update(actor=self.users["netlead"], ci=self.cis["net-fw-02"], data={"description": "Opened 8443 for the vendor test."},
                  reason="updated")
        ci_update(actor=self.users["applead"], ci=self.cis["vm-erp-batch-01"],
                  data={"attributes": {**self.cis["vm-erp-batch-01"].attributes, "memory_gb": 32}}, reason="updated")
        return unauthorised.unauthorised_detect(settle=timedelta(0))


# --- moving a finished change back in time ------------------------------------------------------

def _datetime_fields(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]


def _shift(change: Change, delta: timedelta) -> None:
    """Move every instant of `change` and of what its workflow wrote back by `delta` (demo only)."""
    back = {name: F(name) - delta for name in _datetime_fields(Change)}
    Change.objects.filter(pk=change.pk).update(**back)
    Change.history.model.objects.filter(id=change.pk).update(
        **back, history_date=F("history_date") - delta)
    content_type = ContentType.objects.get_for_model(Change)
    of_change = {"content_type": content_type, "object_id": change.pk}
    JournalEntry.objects.filter(**of_change).update(created_at=F("created_at") - delta)
    DomainEvent.objects.filter(**of_change).update(created_at=F("created_at") - delta)
    ChangeConflict.objects.filter(change=change).update(detected_at=F("detected_at") - delta)
    requests = ApprovalRequest.objects.filter(**of_change)
    ApprovalDecision.objects.filter(group__request__in=requests).update(decided_at=F("decided_at") - delta)
    requests.update(requested_at=F("requested_at") - delta, completed_at=F("completed_at") - delta)

