"""Incident notifications: domain events turned into emails through the outbox.

Each route runs inside the transaction of the service that emitted the event, so a message
is written if and only if the change is (itsm.events.route_to_outbox). Every recipient gets
a message of their own, rendered in their language (templates/incidents/email/*.txt), so a
failed address is retried alone and nobody sees the other recipients. The person who acted
is never told about their own action; people without an email address are skipped.

| event                                   | recipients                                            |
|-----------------------------------------|-------------------------------------------------------|
| incident.assigned                       | the new assignee; the new group (team email, else    |
|                                         | its members) when the group changed                  |
| incident.commented (public, by caller)  | the assignee                                          |
| incident.transitioned to resolved       | the caller (or the contact email of an outside caller)|
| incident.major_promoted                 | every team lead                                       |
| incident.sla_escalated                  | the person the SLA escalation step names              |
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from itsm.choices import Role
from itsm.events import route_to_outbox
from itsm.outbox import outbox_enqueue
from itsm.permissions import STAFF_ROLES

from .choices import IncidentState
from .models import Incident

TOPIC = "email"


AGENT_PAGE, PORTAL_PAGE = "incident_detail", "portal_incident_detail"


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    user: object = None  # the User, when the address is a person's
    page: str | None = None  # URL name of the incident page they can open; None: no link


def recipient_of(user) -> Recipient | None:
    if user is None or not user.is_active or not user.email:
        return None
    page = AGENT_PAGE if user.has_role(*STAFF_ROLES) else PORTAL_PAGE
    return Recipient(user.email, user.language or settings.LANGUAGE_CODE, user, page)


def incident_url(incident: Incident, recipient: Recipient) -> str:
    """The incident's page for this recipient (the portal for requesters, the agents' page for
    staff and team addresses, none for outside callers); absolute when SITE_URL is set
    (e.g. https://itsm.example.com), else the path."""
    if recipient.page is None:
        return ""
    try:
        path = reverse(recipient.page, args=[incident.pk])
    except NoReverseMatch:  # a page not (yet) mounted: the number in the subject still identifies it
        path = ""
    return settings.SITE_URL + path if path else ""


def _render(kind: str, recipient: Recipient, context: dict) -> dict:
    with translation.override(recipient.language):
        context = {**context, "url": incident_url(context["incident"], recipient), "recipient": recipient.user}
        subject = render_to_string(f"incidents/email/{kind}_subject.txt", context)
        body = render_to_string(f"incidents/email/{kind}_body.txt", context)
    return {"to": [recipient.address], "subject": " ".join(subject.split()), "body": body.strip() + "\n",
            "language": recipient.language}


def _send(event, kind: str, recipients, context: dict) -> None:
    """One outbox message per distinct address, never to the event's actor."""
    actor = event.actor
    seen = set()
    if actor is not None and actor.email:
        seen.add(actor.email.lower())
    for recipient in recipients:
        if recipient is None or recipient.address.lower() in seen:
            continue
        if actor is not None and recipient.user is not None and recipient.user.pk == actor.pk:
            continue
        seen.add(recipient.address.lower())
        outbox_enqueue(TOPIC, _render(kind, recipient, {**context, "actor": actor}), event=event)


def _incident_of(event, *, written: bool = False) -> Incident | None:
    """The event's incident, read with the relations the messages show. With `written`, the
    instance the emitter held (itsm.events.emit), for events emitted only right after the
    service saved the incident it locked or created in this transaction: it is what a read
    would return, without the query."""
    if event.object_id is None:
        return None
    held = getattr(event, "emitted_record", None) if written else None
    if isinstance(held, Incident) and held.pk == event.object_id:
        return held
    return (Incident.objects.select_related("caller", "assignee", "assignment_group")
            .filter(pk=event.object_id).first())


def _users(pks):
    return list(get_user_model().objects.filter(pk__in=[pk for pk in pks if pk]).order_by("pk"))


# --- routes: each writes its messages and returns None (route_to_outbox's own message unused) ----

def on_assigned(event) -> None:
    # Emitted by incidents.services.common._journal_assignment only, after the incident was saved.
    incident = _incident_of(event, written=True)
    if incident is None:
        return None
    before, after = event.payload.get("from") or {}, event.payload.get("to") or {}
    recipients = []
    if after.get("assignee") and after.get("assignee") != before.get("assignee"):
        recipients += [recipient_of(user) for user in _users([after["assignee"]])]
    group = incident.assignment_group
    if group is not None and after.get("group") and after.get("group") != before.get("group"):
        if group.email:
            recipients.append(Recipient(group.email, settings.LANGUAGE_CODE, page=AGENT_PAGE))
        else:
            recipients += [recipient_of(user) for user in group.members.order_by("pk")]
    _send(event, "assigned", recipients, {"incident": incident, "group": group, "assignee": incident.assignee})
    return None


def on_commented(event) -> None:
    if event.payload.get("internal"):
        return None
    incident = _incident_of(event)
    if incident is None or incident.caller_id is None or event.actor_id != incident.caller_id:
        return None
    from itsm.models import JournalEntry

    entry = JournalEntry.objects.filter(pk=event.payload.get("entry"), is_public=True).first()
    if entry is None:
        return None
    _send(event, "commented", [recipient_of(incident.assignee)], {"incident": incident, "entry": entry})
    return None


def on_transitioned(event) -> None:
    if event.payload.get("to") != IncidentState.RESOLVED:
        return None
    incident = _incident_of(event)
    if incident is None:
        return None
    if incident.caller_id:
        recipient = recipient_of(incident.caller)
    elif incident.contact_email:
        recipient = Recipient(incident.contact_email, settings.LANGUAGE_CODE)
    else:
        recipient = None
    _send(event, "resolved", [recipient], {"incident": incident, "reopen_days": settings.INCIDENT_REOPEN_DAYS})
    return None


def on_major_promoted(event) -> None:
    incident = _incident_of(event)
    if incident is None:
        return None
    leads = (get_user_model().objects.filter(groups__name=Role.TEAM_LEAD, is_active=True)
             .exclude(email="").distinct().order_by("pk"))
    _send(event, "major", [recipient_of(user) for user in leads],
          {"incident": incident, "reason": event.payload.get("reason", "")})
    return None


def on_sla_escalated(event) -> None:
    """An SLA threshold or breach (slas sweep → incidents.sla.act): tell the named person."""
    incident = _incident_of(event)
    users = _users([event.payload.get("recipient")])
    if incident is None or not users:
        return None
    from datetime import datetime

    from slas.choices import BREACH, Metric

    due = event.payload.get("due_at")
    percent = event.payload.get("percent")
    recipient = recipient_of(users[0])
    with translation.override(users[0].language or settings.LANGUAGE_CODE):
        metric = str(Metric(event.payload.get("metric")).label).lower()
    _send(event, "sla", [recipient], {
        "incident": incident, "metric": metric, "percent": percent, "breached": percent == BREACH,
        "ola_team": event.payload.get("ola_team", ""),
        "due_at": datetime.fromisoformat(due) if due else None,
        "recipient_time_zone": users[0].time_zone or settings.TIME_ZONE})
    return None


ROUTES = {
    "incident.assigned": on_assigned,
    "incident.commented": on_commented,
    "incident.transitioned": on_transitioned,
    "incident.major_promoted": on_major_promoted,
    "incident.sla_escalated": on_sla_escalated,
}

for _name, _build in ROUTES.items():
    route_to_outbox(_name, TOPIC, _build)
