"""Change notifications: domain events turned into emails through the outbox.

Each route runs inside the transaction of the service that emitted the event, so a message is
written if and only if the change is (itsm.events.route_to_outbox). Every recipient gets one
message of their own, in their language and time zone (templates/changes/email/*.txt). The
person who acted is never told about their own action; people without an email address, and
inactive accounts, are skipped.

| event                                  | recipients                                            |
|----------------------------------------|-------------------------------------------------------|
| approval.requested (a change's         | each approver, once, with one-click approve / reject  |
| authorisation)                         | links per group they decide in                        |
| change.authorised                      | requester, implementer                                |
| change.rejected                        | requester, implementer                                |
| change.transitioned (schedule,         | requester, implementer                                |
| schedule_standard)                     |                                                       |
| change.conflict_found                  | requester, implementer (payload `conflicts`: texts)   |
| change.implementation_overdue          | implementer (none: the change managers)               |
| change.review_due                      | the change managers                                   |
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from itsm.approval_models import ApprovalGroup, ApprovalRequest, Outcome
from itsm.choices import Role
from itsm.events import route_to_outbox
from itsm.outbox import outbox_enqueue

from .models import Change
from .selectors_approvals import PURPOSE, change_type
from .services.approval_links import approval_link, link_lifetime

TOPIC = "email"
SCHEDULE_STEPS = ("schedule", "schedule_standard")


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    time_zone: str
    user: object


def recipient_of(user) -> Recipient | None:
    if user is None or not user.is_active or not user.email:
        return None
    return Recipient(user.email, user.language or settings.LANGUAGE_CODE, user.time_zone or settings.TIME_ZONE, user)


def page_url(change: Change) -> str:
    """The change's page; absolute when SITE_URL is set, "" when the page is not mounted."""
    try:
        return settings.SITE_URL + reverse("change_detail", args=[change.pk])
    except NoReverseMatch:  # the number in the subject still identifies it
        return ""


def _render(kind: str, recipient: Recipient, context: dict) -> dict:
    with translation.override(recipient.language):
        context = {**context, "recipient": recipient.user, "recipient_time_zone": recipient.time_zone,
                   "url": page_url(context["change"])}
        subject = render_to_string(f"changes/email/{kind}_subject.txt", context)
        body = render_to_string(f"changes/email/{kind}_body.txt", context)
    return {"to": [recipient.address], "subject": " ".join(subject.split()), "body": body.strip() + "\n",
            "language": recipient.language}


def _send(event, kind: str, people, context: dict, per_person=None) -> None:
    """One outbox message per distinct address, never to the event's actor. `per_person(user)`
    adds what differs between recipients (their links)."""
    actor = event.actor
    seen = {actor.email.lower()} if actor is not None and actor.email else set()
    for recipient in (recipient_of(person) for person in people):
        if recipient is None or recipient.address.lower() in seen:
            continue
        if actor is not None and recipient.user.pk == actor.pk:
            continue
        seen.add(recipient.address.lower())
        extra = per_person(recipient.user) if per_person else {}
        outbox_enqueue(TOPIC, _render(kind, recipient, {**context, **extra, "actor": actor}), event=event)


def _change_of(event) -> Change | None:
    if event.object_id is None or event.content_type_id != change_type().pk:
        return None
    return (Change.objects.select_related("requester", "implementer", "assignment_group")
            .filter(pk=event.object_id).first())


def _requester_and_implementer(change: Change) -> list:
    return [person for person in (change.requester, change.implementer) if person is not None]


def _change_managers() -> list:
    return list(get_user_model().objects.filter(groups__name=Role.CHANGE_MANAGER, is_active=True).order_by("pk"))


# --- routes: each writes its messages and returns None (route_to_outbox's own message unused) ----

def on_approval_requested(event) -> None:
    """Each approver of a change's authorisation, once, with approve / reject links per group."""
    if event.payload.get("purpose") != PURPOSE:
        return None
    change = _change_of(event)
    request = ApprovalRequest.objects.filter(pk=event.payload.get("approval")).first()
    if change is None or request is None:
        return None
    groups = list(ApprovalGroup.objects.filter(request=request).order_by("pk").prefetch_related(
        Prefetch("members", queryset=get_user_model().objects.order_by("pk"), to_attr="member_list")))
    people = {person.pk: person for group in groups for person in group.member_list}

    def links(user):
        return {"decisions": [
            {"group": group, "approve": approval_link(group, user, Outcome.APPROVE),
             "reject": approval_link(group, user, Outcome.REJECT)}
            for group in groups if any(member.pk == user.pk for member in group.member_list)]}

    _send(event, "approval_requested", people.values(), {
        "change": change, "hours": int(link_lifetime().total_seconds() // 3600)}, per_person=links)
    return None


def on_authorised(event) -> None:
    change = _change_of(event)
    if change is not None:
        _send(event, "authorised", _requester_and_implementer(change), {"change": change})
    return None


def on_rejected(event) -> None:
    change = _change_of(event)
    if change is not None:
        _send(event, "rejected", _requester_and_implementer(change), {
            "change": change, "comment": event.payload.get("comment", "")})
    return None


def on_transitioned(event) -> None:
    if event.payload.get("transition") not in SCHEDULE_STEPS:
        return None
    change = _change_of(event)
    if change is not None:
        _send(event, "scheduled", _requester_and_implementer(change), {"change": change})
    return None


def on_conflict_found(event) -> None:
    change = _change_of(event)
    if change is not None:
        _send(event, "conflict_found", _requester_and_implementer(change), {
            "change": change, "conflicts": [str(text) for text in event.payload.get("conflicts", ())]})
    return None


def on_implementation_overdue(event) -> None:
    change = _change_of(event)
    if change is not None:
        people = [change.implementer] if change.implementer is not None else _change_managers()
        _send(event, "implementation_overdue", people, {"change": change})
    return None


def on_review_due(event) -> None:
    change = _change_of(event)
    if change is not None:
        _send(event, "review_due", _change_managers(), {"change": change})
    return None


ROUTES = {
    "approval.requested": on_approval_requested,
    "change.authorised": on_authorised,
    "change.rejected": on_rejected,
    "change.transitioned": on_transitioned,
    "change.conflict_found": on_conflict_found,
    "change.implementation_overdue": on_implementation_overdue,
    "change.review_due": on_review_due,
}

for _name, _build in ROUTES.items():
    route_to_outbox(_name, TOPIC, _build)
