"""Escalation recipients by relation (issue 17): besides a named user, an escalation step can
notify the assignee's team lead, the service owner, the group's on-duty manager and the owners
of the affected CIs, each person once per step."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from itsm import services as kernel
from itsm.choices import Role
from itsm.models import DomainEvent
from itsm.services import system_actor
from slas import services as sla
from slas.models import Calendar
from tests.config_items.factories import make_ci, make_service
from tests.incidents.factories import make_incident, make_team_with

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
BY_RELATION = ["notify_assignee_team_lead", "notify_service_owner", "notify_on_duty", "notify_ci_owners"]


@pytest.fixture
def breach_notifies_by_relation(db):
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    return sla.target_create(actor=system, data={
        "agreement": agreement, "calendar": Calendar.objects.get(name="24×7"), "record_type": "incident",
        "name": "Respond", "metric": "response", "goal": H,
        "escalations": [{"percent": 100, "actions": [{"kind": kind} for kind in BY_RELATION]}]})


def test_a_breach_reaches_the_people_related_to_the_incident_once_each(agent, make_user, breach_notifies_by_relation):
    line_lead, owner, on_duty, ci_lead = (make_user(Role.TEAM_LEAD, username=name)
                                          for name in ("line-lead", "owner", "on-duty", "ci-lead"))
    make_team_with(agent, line_lead, lead=line_lead, name="Agent's own team")
    group = make_team_with(agent, name="Mail")
    kernel.team_update(actor=_admin(make_user), team=group, data={"on_duty_manager": on_duty})
    ci_owners = make_team_with(ci_lead, lead=ci_lead, name="Storage")
    service = make_service(name="Mail service", service_owner=owner)
    disk = make_ci(name="mail-disk", owner_team=ci_owners)
    incident = make_incident(agent, assignment_group=group, assignee=agent, service=service, cis=[disk])

    sla.timers_sweep(now=timezone.now() + 1.5 * H)

    notified = [e.payload["recipient"] for e in DomainEvent.objects.filter(
        name="incident.sla_escalated", object_id=incident.pk, payload__percent=100)]
    assert sorted(notified) == sorted([line_lead.pk, owner.pk, on_duty.pk, ci_lead.pk])


def test_a_person_related_twice_is_told_once(agent, make_user, breach_notifies_by_relation):
    lead = make_user(Role.TEAM_LEAD, username="both")
    make_team_with(agent, lead, lead=lead, name="Agent's own team")
    service = make_service(name="Mail service", service_owner=lead)  # the line lead also owns the service
    incident = make_incident(agent, assignment_group=make_team_with(agent, name="Mail"), assignee=agent,
                             service=service)

    sla.timers_sweep(now=timezone.now() + 1.5 * H)

    notified = [e.payload["recipient"] for e in DomainEvent.objects.filter(
        name="incident.sla_escalated", object_id=incident.pk, payload__percent=100)]
    assert notified == [lead.pk]


def test_targets_accept_the_relation_actions_in_the_settings_form_syntax():
    from slas.forms import parse_escalations

    steps = parse_escalations("90: notify_on_duty, notify_service_owner\n100: notify_ci_owners")
    assert [a["kind"] for s in steps for a in s["actions"]] == ["notify_on_duty", "notify_service_owner",
                                                                "notify_ci_owners"]


def _admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="admin-x")
