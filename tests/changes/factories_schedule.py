"""Schedule-slice test data: windows and changes holding a planned window, through the services."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from changes.services.catalogue import change_create_from_template
from changes.services.windows import window_create
from itsm.workflow import transition_apply
from tests.changes.factories import PLANS, make_change
from tests.changes.factories_catalogue import make_template
from tests.factories import UserFactory


def schedule_admin():
    return UserFactory(username="schedule-admin", roles=["administrator"])


def hours(start_in: float, length: float = 2) -> tuple[datetime, datetime]:
    """A window starting `start_in` hours from now (whole minutes), `length` hours long."""
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=start_in)
    return start, start + timedelta(hours=length)


def at(text: str) -> datetime:
    """An aware UTC instant from "2030-03-30 22:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_window(*, kind: str = "blackout", start=None, end=None, actor=None, **data) -> object:
    if start is None:
        start, end = hours(0, 24)
    data.setdefault("name", "Year-end freeze" if kind == "blackout" else "Saturday night")
    return window_create(actor=actor or schedule_admin(), data={"kind": kind, "start": start, "end": end, **data})


def standard_change(actor, *, cis=(), start=None, end=None, schedule: bool = False, template=None, **data):
    """A standard change from a template on `cis`, with the window given; scheduled (through
    change_transition: conflicts checked) when `schedule`."""
    template = template or make_template()
    fields = {"cis": list(cis), **data}
    if start is not None:
        fields.update(planned_start=start, planned_end=end)
    return change_create_from_template(actor=actor, template=template, data=fields, schedule=schedule)


def occupying(actor, *, cis=(), start, end, state: str = "scheduled", **data):
    """Another change holding [start, end) on `cis` in `state` (authorisation or scheduled), put
    there by the workflow alone (no approvals, no conflict check of its own: it is the obstacle)."""
    change = make_change(actor, change_model="emergency", cis=list(cis), planned_start=start, planned_end=end,
                         **PLANS, **data)
    change = transition_apply(actor=actor, record=change, name="request_authorisation", data={})
    if state == "scheduled":
        change = transition_apply(actor=actor, record=change, name="schedule", data={})
    return change
