"""Every read of change management that views, API and reports share.

Staff (auditors included) read every change; requesters see nothing of changes.
`change_get_for_user` is the one gate: "not found" alike for a missing change and one the user
may not see. Each slice keeps its own reads next to its services (approvals, calendar, ...).
"""

from datetime import timedelta

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from itsm.permissions import STAFF_ROLES, may

from .choices import OPEN_STATES, ChangeState
from .models import Change

# Queues (?queue=...): the standing views of the change list.
QUEUES = ("mine", "implementing", "open", "scheduled_week", "review", "emergency")
ROW_RELATIONS = ("assignment_group", "implementer", "requester", "category")


def may_read_changes(user) -> bool:
    return may(user, STAFF_ROLES)


def change_list(user):
    """Changes the user may see, with what a list row shows loaded up front."""
    if not may_read_changes(user):
        return Change.objects.none()
    return Change.objects.select_related(*ROW_RELATIONS)


def change_get_for_user(user, pk) -> Change:
    try:
        return change_list(user).select_related("template").get(pk=pk)
    except (Change.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def with_details(queryset):
    """`queryset` with what the API and the change page show of a change loaded up front."""
    return queryset.select_related("template").prefetch_related(
        Prefetch("services", to_attr="service_list"), Prefetch("cis", to_attr="ci_list"),
        Prefetch("impacted_services", to_attr="impacted_service_list"),
        Prefetch("problems", to_attr="problem_list"), Prefetch("caused_incidents", to_attr="incident_list"))


def change_search(queryset, text: str):
    """Changes whose number (any case) or short description names `text`."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number=text.upper()) | Q(short_description__icontains=text))


def queue(queryset, name: str, user):
    """One of QUEUES for `user` (awaiting-my-approval lives with the approvals)."""
    if name == "mine":
        return queryset.filter(requester=user, state__in=OPEN_STATES)
    if name == "implementing":
        return queryset.filter(implementer=user, state__in=OPEN_STATES)
    if name == "open":
        return queryset.filter(state__in=OPEN_STATES)
    if name == "scheduled_week":
        now = timezone.now()
        return queryset.filter(state__in=(ChangeState.SCHEDULED, ChangeState.IMPLEMENTATION),
                               planned_start__lt=now + timedelta(days=7), planned_end__gt=now)
    if name == "review":
        return queryset.filter(state=ChangeState.REVIEW)
    if name == "emergency":
        return queryset.filter(change_model="emergency", state__in=OPEN_STATES)
    return queryset
