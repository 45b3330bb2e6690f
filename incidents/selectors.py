"""Every read of incident management that views, API and reports share.

Staff (auditors included) see every incident; a requester sees only the incidents they are
the caller of. `incident_get_for_user` is the one gate: "not found" alike for a missing
incident and one the user may not see.
"""

from datetime import timedelta

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from itsm.attachments import attachments_of
from itsm.choices import Role
from itsm.permissions import STAFF_ROLES, may

from .choices import OPEN_STATES, IncidentState
from .models import Category, Incident, PriorityRule, SavedFilter

RECENTLY_RESOLVED_DAYS = 7
# Queues (?queue=...): the agents' standing views, each one indexed filter.
QUEUES = ("mine", "unassigned", "open", "major", "resolved")


def is_staff_reader(user) -> bool:
    return may(user, STAFF_ROLES)


def incident_list(user):
    """Incidents the user may see, with everything list pages and the API show loaded up front."""
    queryset = Incident.objects.select_related(
        "caller", "assignment_group", "assignee", "service", "customer", "category", "subcategory",
    )
    if is_staff_reader(user):
        return queryset
    if may(user, (Role.REQUESTER,)):
        return queryset.filter(caller=user)
    return queryset.none()


def incident_get_for_user(user, pk) -> Incident:
    """The incident `pk` if the user may see it; Http404 both when it is missing and when not."""
    try:
        return incident_list(user).get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def queue(queryset, name: str, user):
    """Narrow `queryset` to one of QUEUES for `user`."""
    if name == "mine":
        return queryset.filter(assignee=user, state__in=OPEN_STATES)
    if name == "unassigned":
        return queryset.filter(assignment_group__in=user.teams.values("pk"), assignee__isnull=True,
                               state__in=OPEN_STATES)
    if name == "open":
        return queryset.filter(state__in=OPEN_STATES)
    if name == "major":
        return queryset.filter(is_major=True, state__in=OPEN_STATES)
    if name == "resolved":
        since = timezone.now() - timedelta(days=RECENTLY_RESOLVED_DAYS)
        return queryset.filter(state=IncidentState.RESOLVED, resolved_at__gte=since)
    return queryset


def possible_duplicates(*, service_id=None, ci_ids=(), exclude_pk=None, limit=10):
    """Open incidents on the same service or any of the CIs: the logging form's hint."""
    condition = Q()
    if service_id:
        condition |= Q(service_id=service_id)
    if ci_ids:
        condition |= Q(cis__in=list(ci_ids))
    if not condition:
        return Incident.objects.none()
    queryset = Incident.objects.open().filter(condition).exclude(pk=exclude_pk).distinct()
    return queryset.select_related("assignment_group", "assignee").order_by("priority", "-opened_at")[:limit]


def children_of(incident: Incident):
    return incident.children.select_related("assignment_group", "assignee").order_by("number")


def incident_attachments(incident: Incident):
    return attachments_of(incident)


def priority_matrix() -> dict[tuple[int, int], int]:
    """{(impact, urgency): priority} as the administrators set it."""
    from .choices import DEFAULT_PRIORITY_MATRIX

    matrix = dict(DEFAULT_PRIORITY_MATRIX)
    matrix.update({(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()})
    return matrix


def category_list(user, *, active_only=False):
    if not is_staff_reader(user):
        return Category.objects.none()
    queryset = Category.objects.select_related("parent")
    return queryset.filter(is_active=True) if active_only else queryset


def saved_filters_of(user):
    return SavedFilter.objects.filter(owner=user) if user.is_authenticated else SavedFilter.objects.none()


def queue_counts(user) -> dict:
    """How many incidents each queue holds for `user`: one small count per queue, each an
    index-only scan of a partial index (one combined query would read every open row from
    the table: bench/results.md, 2026-11-23 13:47)."""
    base = incident_list(user).order_by()
    return {name: queue(base, name, user).count() for name in QUEUES}


def home_counts(user) -> dict:
    """The start page's incident figures for `user` (one query)."""
    if is_staff_reader(user):
        counts = queue_counts(user)
        counts.pop("resolved")
        return counts
    return {"portal": True, "own_open": incident_list(user).open().count()}
