"""The demo service levels that `manage.py demo_data` loads after the demo incidents (step 400).

- Calendars: "China (Shanghai)" (Asia/Shanghai, Monday to Friday 09:00–12:00 and 13:30–18:00,
  China's public holidays and make-up working days from the `holidays` library) next to the
  built-in 24×7.
- Agreements: one per demo customer and a provider-wide default, each with a response and a
  resolution target per priority (P1 and P2 around the clock, P3 to P5 in Shanghai business
  hours), the clock paused while an incident is on hold.
- "Demo: escalation in minutes": a demo-only customer whose agreement promises a resolution
  in 6 minutes (24×7).
The timers of the demo incidents, and the incident logged for the escalation customer, are
the incidents app's step (incidents/demo.py, `service_levels_step`): this app never imports
incidents.

Everything is written through slas.services. A second run adds nothing: objects are looked up
by name first.
"""

from datetime import date, timedelta

from django.utils import timezone

from itsm import services as itsm_services
from itsm.models import Customer
from itsm.services import system_actor

from . import services
from .models import Agreement, Calendar

SHANGHAI = "China (Shanghai)"
ALWAYS = "24×7"
DEFAULT_AGREEMENT = "Standard service levels (provider default)"
ESCALATION_CUSTOMER = {"code": "demo-sla", "name": "Demo: escalation in minutes",
                       "email": "sla-demo@example.com"}
ESCALATION_AGREEMENT = "Demo: escalation in minutes"
VALID_FROM = date(2025, 1, 1)
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


def load() -> dict:
    """Create what is missing; return counts of what was created. Run in the caller's transaction,
    after the demo users and customers."""
    system = system_actor()
    created = {"calendars": 0, "agreements": 0, "targets": 0}
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
    _escalation_agreement(system, calendars[ALWAYS], created)
    return created


def demo_step(options: dict) -> list[str]:
    """The service levels' step of `manage.py demo_data` (registered in SlasConfig.ready())."""
    created = load()
    return [f"Demo service levels: {created['calendars']} calendar(s), {created['agreements']} agreement(s) "
            f"and {created['targets']} target(s) created."]


def sweep_until_done() -> None:
    """Record the breaches of the records still open, as the periodic sweep would have (for the
    apps whose demo records have timers, after they synchronised them)."""
    for _round in range(20):
        if not services.timers_sweep(now=timezone.now()).checked:
            break


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

