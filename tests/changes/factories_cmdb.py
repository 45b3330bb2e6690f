"""Helpers of the CMDB-control and pipeline tests: standard changes in their window, live CIs.

A standard-change template is written directly (the catalogue's services are another slice's);
the change itself goes through the real services."""

from datetime import date, timedelta

from django.utils import timezone

from changes.choices import ChangeModel, ChangeSource
from changes.models import StandardChangeTemplate
from changes.services.records import change_create
from changes.services.states import change_transition
from itsm.models import Team
from tests.changes.factories import PLANS
from tests.config_items.factories import cmdb_writer, make_ci


def make_template(name="Restart the mail relay"):
    template, _created = StandardChangeTemplate.objects.get_or_create(
        name=name, defaults={"short_description": name, "review_date": date.today() + timedelta(days=365),
                             "approved_at": timezone.now(), **PLANS})
    return template


def standard_change(actor, *, cis=(), starts_in_hours=-0.5, hours=2, implementer=None, **data):
    """A standard change, scheduled (authorised by its template) in a window starting
    `starts_in_hours` from now (by default it started half an hour ago)."""
    start = timezone.now() + timedelta(hours=starts_in_hours)
    change = change_create(actor=actor, template=make_template(), source=ChangeSource.TEMPLATE, data={
        "short_description": "Restart the mail relay", "change_model": ChangeModel.STANDARD,
        "cis": list(cis), "implementer": implementer or actor, **PLANS, **data})
    return change_transition(actor=actor, change=change, name="schedule_standard",
                             data={"planned_start": start, "planned_end": start + timedelta(hours=hours)})


def live_ci(name="mail-relay-01", **data):
    """A live server CI owned by a team (a change of it is a change of the service)."""
    writer = cmdb_writer() if not data.get("actor") else data.pop("actor")
    team = Team.objects.get_or_create(name="Messaging")[0]
    data.setdefault("owner_team", team)
    data.setdefault("status", "live")
    return make_ci(writer, name=name, type_slug="server", **data)
