"""The demo service levels that `manage.py demo_data` loads after the demo incidents.

- Calendars: "China (Shanghai)" (Asia/Shanghai, Monday to Friday 09:00–12:00 and 13:30–18:00,
  China's public holidays and make-up working days from the `holidays` library) next to the
  built-in 24×7.
- Agreements: one per demo customer and a provider-wide default, each with a response and a
  resolution target per priority (P1 and P2 around the clock, P3 to P5 in Shanghai business
  hours), the clock paused while an incident is on hold.
- Timers on the demo incidents: each is synchronised as of its opening (the response and the
  resolution stop at their recorded instants, so old incidents end met or breached as they
  really were), then one escalation sweep at the present records the breaches of the
  incidents still open. Every state shows: running, paused, met, breached, cancelled.
- "Demo: escalation in minutes": a demo-only customer whose agreement promises a resolution
  in 6 minutes (24×7), and one incident logged for it at load time — under `make run` the
  beat sweep (every 10 s) sends the 50, 75 and 90 % warnings and then the breach, with no
  manual step.

Everything is written through slas.services and incidents.services. A second run adds
nothing: objects are looked up by name first.
"""

from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone

from itsm import services as itsm_services
from itsm.models import Customer, Team, User
from itsm.services import system_actor

from . import services
from .models import Agreement, Calendar, Timer

SHANGHAI = "China (Shanghai)"
ALWAYS = "24×7"
DEFAULT_AGREEMENT = "Standard service levels (provider default)"
ESCALATION_CUSTOMER = {"code": "demo-sla", "name": "Demo: escalation in minutes",
                       "email": "sla-demo@example.com"}
ESCALATION_AGREEMENT = "Demo: escalation in minutes"
ESCALATION_INCIDENT = "Demo: SLA escalation in minutes (watch the clock)"
CANCELLED_INCIDENT = "Demo: duplicate call, cancelled"
VALID_FROM = date(2025, 1, 1)
CAUSE = "demo data: service levels loaded"
M, H = timedelta(minutes=1), timedelta(hours=1)
DAY = 7.5 * H  # a Shanghai business day (09:00–12:00, 13:30–18:00)

# priority: (response goal, calendar, resolution goal, calendar)
GOALS = {
    1: (15 * M, ALWAYS, 4 * H, ALWAYS),
    2: (30 * M, ALWAYS, 8 * H, ALWAYS),
    3: (2 * H, SHANGHAI, 3 * DAY, SHANGHAI),
    4: (4 * H, SHANGHAI, 5 * DAY, SHANGHAI),
    5: (DAY, SHANGHAI, 10 * DAY, SHANGHAI),
}
CUSTOMER_AGREEMENTS = {
    "acme": "Acme Manufacturing service level agreement",
    "globex": "Globex Retail service level agreement",
}


def load(*, now=None) -> dict:
    """Create what is missing; return counts of what was created. Run in the caller's transaction,
    after the demo users, customers and incidents."""
    system = system_actor()
    now = now or timezone.now()
    created = {"calendars": 0, "agreements": 0, "targets": 0, "timers": 0, "incidents": 0}
    calendars = {ALWAYS: Calendar.objects.get(name=ALWAYS), SHANGHAI: Calendar.objects.filter(name=SHANGHAI).first()}
    if calendars[SHANGHAI] is None:
        calendars[SHANGHAI] = services.calendar_create(actor=system, data={
            "name": SHANGHAI, "time_zone": "Asia/Shanghai", "country": "CN",
            "weekly_hours": {**{day: [["09:00", "12:00"], ["13:30", "18:00"]]
                                for day in ("mon", "tue", "wed", "thu", "fri")}, "sat": [], "sun": []}})
        created["calendars"] += 1
    customers = {c.code: c for c in Customer.objects.filter(code__in=CUSTOMER_AGREEMENTS)}
    plans = [(DEFAULT_AGREEMENT, None)] + [(name, customers.get(code)) for code, name in CUSTOMER_AGREEMENTS.items()
                                          if code in customers]
    for name, customer in plans:
        if Agreement.objects.filter(name=name).exists():
            continue
        agreement = services.agreement_create(actor=system, data={
            "name": name, "customer": customer, "valid_from": VALID_FROM,
            "description": "Demo agreement: response and resolution by priority."})
        created["agreements"] += 1
        for priority, (respond, respond_calendar, resolve, resolve_calendar) in GOALS.items():
            for metric, goal, calendar in (("response", respond, respond_calendar),
                                           ("resolution", resolve, resolve_calendar)):
                services.target_create(actor=system, data={
                    "agreement": agreement, "name": f"P{priority} {metric}", "metric": metric,
                    "priorities": [priority], "goal": goal, "calendar": calendars[calendar],
                    "record_type": "incident", "pause_states": ["on_hold"]})
                created["targets"] += 1
    escalation_customer = _escalation_agreement(system, calendars[ALWAYS], created)
    created["timers"] = _sync_demo_incidents(now)
    created["incidents"] = _fresh_incidents(escalation_customer, customers.get("acme"))
    # Breaches of the incidents still open, recorded as the periodic sweep would have.
    for _round in range(20):
        if not services.timers_sweep(now=timezone.now()).checked:
            break
    return created


def _escalation_agreement(system, always, created) -> Customer:
    customer = Customer.objects.filter(code=ESCALATION_CUSTOMER["code"]).first()
    if customer is None:
        customer = itsm_services.customer_create(actor=system, data=dict(ESCALATION_CUSTOMER))
    if not Agreement.objects.filter(name=ESCALATION_AGREEMENT).exists():
        agreement = services.agreement_create(actor=system, data={
            "name": ESCALATION_AGREEMENT, "customer": customer, "valid_from": VALID_FROM,
            "description": "Demo only: a target a few minutes away, to watch the warnings and the breach."})
        created["agreements"] += 1
        for metric, goal in (("response", 4 * M), ("resolution", 6 * M)):
            services.target_create(actor=system, data={
                "agreement": agreement, "name": f"Demo {metric} in {int(goal.total_seconds() // 60)} minutes",
                "metric": metric, "goal": goal, "calendar": always, "record_type": "incident",
                "pause_states": ["on_hold"]})
            created["targets"] += 1
    return customer


def _sync_demo_incidents(now) -> int:
    """Start the timers of demo incidents that have none, as of their opening."""
    from incidents.choices import IncidentState
    from incidents.models import Incident

    content_type = ContentType.objects.get_for_model(Incident)
    timed = Timer.objects.filter(content_type=content_type).values("object_id")
    count = 0
    for incident in Incident.objects.exclude(pk__in=timed).order_by("opened_at"):
        # On hold: counted until the response, then paused (the hold came after it).
        instant = incident.opened_at
        if incident.state == IncidentState.ON_HOLD and incident.first_response_at:
            instant = incident.first_response_at
        count += len(services.timers_sync(incident, cause=f"{incident.number} {CAUSE}", now=min(instant, now)))
    return count


def _fresh_incidents(escalation_customer, acme) -> int:
    """The escalation demo incident and a cancelled duplicate, logged now (once)."""
    from incidents import services as incident_services
    from incidents.models import Incident

    created, fresh = 0, []
    agent = User.objects.filter(username="agent").first()
    desk = Team.objects.filter(name="Service Desk").first()
    if agent is None:
        return 0
    if not Incident.objects.filter(short_description=ESCALATION_INCIDENT).exists():
        fresh.append(incident_services.incident_create(actor=agent, reason="demo data (service levels)", data={
            "short_description": ESCALATION_INCIDENT, "impact": 2, "urgency": 2, "customer": escalation_customer,
            "contact_name": "Demo caller", "contact_email": "caller@example.com", "assignment_group": desk,
            "assignee": agent,
            "description": "Logged by the demo data: its resolution target is 6 minutes away. Watch the "
                           "Service levels card and the journal: warnings at 50, 75 and 90 %, then the breach."}))
        created += 1
    if not Incident.objects.filter(short_description=CANCELLED_INCIDENT).exists():
        duplicate = incident_services.incident_create(actor=agent, reason="demo data (service levels)", data={
            "short_description": CANCELLED_INCIDENT, "impact": 3, "urgency": 2, "customer": acme,
            "contact_name": "Maria Schmidt", "contact_email": "m.schmidt@acme.example.com",
            "assignment_group": desk})
        fresh.append(duplicate)
        incident_services.incident_transition(actor=agent, incident=duplicate, name="cancel",
                                              reason="Duplicate of an incident already logged.")
        created += 1
    # As the other demo incidents show it: created when opened (not microseconds later).
    Incident.objects.filter(pk__in=[i.pk for i in fresh]).update(created_at=F("opened_at"))
    return created
