"""Problem notifications: domain events turned into emails through the outbox.

Each route runs inside the transaction of the service that emitted the event, so a message is
written if and only if the change is (itsm.events.route_to_outbox). Every recipient gets one
message of their own, rendered in their language (templates/problems/email/*.txt); recipients
are a set: a person named twice (the assignee of two linked incidents) gets one message listing
everything that concerns them. The person who acted is never told about their own action;
people without an email address, and inactive accounts, are skipped.

| event                              | recipients                                               |
|------------------------------------|----------------------------------------------------------|
| problem.assigned                   | the new assignee; the new group (team email, else its   |
|                                    | members) when the group changed                          |
| problem.workaround_available       | the assignees of the linked open incidents (payload)     |
| problem.resolved                   | the assignees of the linked open incidents (payload)     |
| problem.task_assigned              | the task's assignee                                      |
| problem.sla_escalated              | the person the SLA escalation step names                 |
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from incidents.models import Incident
from itsm.events import route_to_outbox
from itsm.outbox import outbox_enqueue

from .choices import LinkedIncidentsOnResolve
from .models import Problem, ProblemTask

TOPIC = "email"


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    user: object = None  # the User, when the address is a person's (None: a team's address)
    incidents: tuple = field(default=())  # the linked incidents that concern this person


def recipient_of(user, incidents=()) -> Recipient | None:
    if user is None or not user.is_active or not user.email:
        return None
    return Recipient(user.email, user.language or settings.LANGUAGE_CODE, user, tuple(incidents))


def page_url(name: str, pk: int) -> str:
    """A record's page; absolute when SITE_URL is set, none when the page is not mounted."""
    try:
        return settings.SITE_URL + reverse(name, args=[pk])
    except NoReverseMatch:  # the number in the subject still identifies it
        return ""


def _render(kind: str, recipient: Recipient, context: dict) -> dict:
    with translation.override(recipient.language):
        context = {**context, "recipient": recipient.user, "incidents": recipient.incidents,
                   "url": page_url("problem_detail", context["problem"].pk),
                   "incident_urls": [(i, page_url("incident_detail", i.pk)) for i in recipient.incidents]}
        subject = render_to_string(f"problems/email/{kind}_subject.txt", context)
        body = render_to_string(f"problems/email/{kind}_body.txt", context)
    return {"to": [recipient.address], "subject": " ".join(subject.split()), "body": body.strip() + "\n",
            "language": recipient.language}


def _send(event, kind: str, recipients, context: dict) -> None:
    """One outbox message per distinct address, never to the event's actor."""
    actor = event.actor
    seen = {actor.email.lower()} if actor is not None and actor.email else set()
    for recipient in recipients:
        if recipient is None or recipient.address.lower() in seen:
            continue
        if actor is not None and recipient.user is not None and recipient.user.pk == actor.pk:
            continue
        seen.add(recipient.address.lower())
        outbox_enqueue(TOPIC, _render(kind, recipient, {**context, "actor": actor}), event=event)


def _problem_of(event, *, written: bool = False) -> Problem | None:
    """The event's problem with what the messages show. With `written`, the instance the
    emitter held (events emitted right after the service saved it: no second read)."""
    if event.object_id is None:
        return None
    held = getattr(event, "emitted_record", None) if written else None
    if isinstance(held, Problem) and held.pk == event.object_id:
        return held
    return Problem.objects.select_related("assignee", "assignment_group").filter(pk=event.object_id).first()


def _users(pks):
    return list(get_user_model().objects.filter(pk__in=[pk for pk in pks if pk]).order_by("pk"))


def _assignees_of_incidents(pks) -> list[Recipient]:
    """One recipient per assignee of the incidents `pks`, with the incidents that are theirs."""
    incidents = (Incident.objects.filter(pk__in=pks or [], assignee__isnull=False)
                 .select_related("assignee").order_by("assignee_id", "pk"))
    by_person: dict[int, list] = {}
    people = {}
    for incident in incidents:
        by_person.setdefault(incident.assignee_id, []).append(incident)
        people[incident.assignee_id] = incident.assignee
    return [recipient_of(people[pk], by_person[pk]) for pk in sorted(by_person)]


# --- routes: each writes its messages and returns None (route_to_outbox's own message unused) ----

def on_assigned(event) -> None:
    # Emitted by problems.services.common.journal_assignment only, after the problem was saved.
    problem = _problem_of(event, written=True)
    if problem is None:
        return None
    before, after = event.payload.get("from") or {}, event.payload.get("to") or {}
    recipients = []
    if after.get("assignee") and after.get("assignee") != before.get("assignee"):
        recipients += [recipient_of(user) for user in _users([after["assignee"]])]
    group = problem.assignment_group
    if group is not None and after.get("group") and after.get("group") != before.get("group"):
        if group.email:
            recipients.append(Recipient(group.email, settings.LANGUAGE_CODE))
        else:
            recipients += [recipient_of(user) for user in group.members.order_by("pk")]
    _send(event, "assigned", recipients, {"problem": problem, "group": group, "assignee": problem.assignee})
    return None


def on_workaround_available(event) -> None:
    problem = _problem_of(event)
    if problem is None:
        return None
    _send(event, "workaround", _assignees_of_incidents(event.payload.get("incidents")), {"problem": problem})
    return None


def on_resolved(event) -> None:
    problem = _problem_of(event)
    if problem is None:
        return None
    choice = event.payload.get("choice", LinkedIncidentsOnResolve.RESUME)
    _send(event, "resolved", _assignees_of_incidents(event.payload.get("incidents")), {
        "problem": problem, "resumed": choice == LinkedIncidentsOnResolve.RESUME,
        "resolved": choice == LinkedIncidentsOnResolve.RESOLVE})
    return None


def on_task_assigned(event) -> None:
    problem = _problem_of(event)
    task = ProblemTask.objects.filter(pk=event.payload.get("task")).first()
    if problem is None or task is None:
        return None
    _send(event, "task", [recipient_of(user) for user in _users([event.payload.get("assignee")])],
          {"problem": problem, "task": task})
    return None


def on_sla_escalated(event) -> None:
    """An SLA threshold or breach (slas sweep → problems.sla.act): tell the named person."""
    problem = _problem_of(event)
    users = _users([event.payload.get("recipient")])
    if problem is None or not users:
        return None
    from datetime import datetime

    from slas.choices import BREACH, Metric

    due, percent = event.payload.get("due_at"), event.payload.get("percent")
    with translation.override(users[0].language or settings.LANGUAGE_CODE):
        metric = str(Metric(event.payload.get("metric")).label).lower()
    _send(event, "sla", [recipient_of(users[0])], {
        "problem": problem, "metric": metric, "percent": percent, "breached": percent == BREACH,
        "due_at": datetime.fromisoformat(due) if due else None,
        "recipient_time_zone": users[0].time_zone or settings.TIME_ZONE})
    return None


ROUTES = {
    "problem.assigned": on_assigned,
    "problem.workaround_available": on_workaround_available,
    "problem.resolved": on_resolved,
    "problem.task_assigned": on_task_assigned,
    "problem.sla_escalated": on_sla_escalated,
}

for _name, _build in ROUTES.items():
    route_to_outbox(_name, TOPIC, _build)
