"""Every read of change management that views, API and reports share.

Staff (auditors included) read every change; requesters see nothing of changes.
`change_get_for_user` is the one gate: "not found" alike for a missing change and one the user
may not see. Each slice keeps its own reads next to its services (approvals, calendar, ...).
"""

from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from config_items.models import ConfigurationItem
from itsm.attachments import attachments_of
from itsm.permissions import STAFF_ROLES, may, permitted

from .choices import OPEN_STATES, ChangeModel, ChangeState
from .models import Change
from .workflow import CHANGE_MANAGERS

# Steps only the change's implementer (or a change manager) takes (changes.services.states).
IMPLEMENTER_STEPS = ("start", "complete")

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


def change_get_for_user(user, pk, *, details: bool = False) -> Change:
    """`details`: with what the change page and the API show loaded up front (with_details)."""
    queryset = change_list(user).select_related("template")
    try:
        return (with_details(queryset) if details else queryset).get(pk=pk)
    except (Change.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def with_details(queryset):
    """`queryset` with what the API and the change page show of a change loaded up front (each
    impacted service with `customer_count`: how many customers it serves)."""
    impacted = ConfigurationItem.objects.annotate(customer_count=Count("customers")).order_by("name", "pk")
    return queryset.select_related("template").prefetch_related(
        Prefetch("services", to_attr="service_list"), Prefetch("cis", to_attr="ci_list"),
        Prefetch("impacted_services", queryset=impacted, to_attr="impacted_service_list"),
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


def queue_counts(user, names) -> dict[str, int]:
    """How many changes each queue of `names` holds for `user` (one count per queue)."""
    base = change_list(user).select_related(None).order_by()
    return {name: queue(base, name, user).count() for name in names}


def planned_between(queryset, start=None, end=None):
    """Changes whose planned window meets [start, end) (either bound may be open)."""
    if start is not None:
        queryset = queryset.filter(planned_end__gt=start)
    if end is not None:
        queryset = queryset.filter(planned_start__lt=end)
    return queryset


def available_steps(change: Change, user) -> list:
    """The workflow steps `user` may take on `change` now, as pages and the API offer them: the
    workflow's, less the path of the other change models (a standard change skips authorisation,
    the others never do), and less starting and completing for anyone but the implementer or a
    change manager. (The services refuse them all the same.)"""
    other_path = "request_authorisation" if change.change_model == ChangeModel.STANDARD else "schedule_standard"
    steps = [step for step in change.workflow.available(change, user) if step.name != other_path]
    if change.implementer_id == user.pk or permitted(user, CHANGE_MANAGERS):
        return steps
    return [step for step in steps if step.name not in IMPLEMENTER_STEPS]


def change_attachments(change: Change):
    return attachments_of(change)
