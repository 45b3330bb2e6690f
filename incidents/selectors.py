"""Every read of incident management that views, API and reports share.

Staff (auditors included) see every incident; a requester sees only the incidents they are
the caller of. `incident_get_for_user` is the one gate: "not found" alike for a missing
incident and one the user may not see.
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils import timezone

from itsm.attachments import attachments_of
from itsm.choices import Role
from itsm.permissions import STAFF_ROLES, may
from slas.choices import Metric, TargetKind, TimerState
from slas.models import CalendarVersion, Timer

from .choices import OPEN_STATES, IncidentState
from .models import AssignmentRule, Category, Incident, PriorityRule, SavedFilter

RECENTLY_RESOLVED_DAYS = 7
# Queues (?queue=...): the agents' standing views, each one indexed filter.
QUEUES = ("mine", "unassigned", "triage", "open", "major", "resolved")
# The start page's figures for staff.
HOME_QUEUES = ("mine", "unassigned", "open", "major")
# The value of ?assignment_group= that means "no group" (the triage queue).
NO_GROUP = "none"
# The "at risk" queue: open incidents with a timer at risk (slas.models.TimerQuerySet.at_risk, the
# definition the SLA dashboard uses too). Counted apart from QUEUES (its own tab).
AT_RISK = "at_risk"


def is_staff_reader(user) -> bool:
    return may(user, STAFF_ROLES)


# What a queue row shows, joined to the rows query. Each further join costs the planner dearly
# on a table with this many indexes: planning ORDER BY ... LIMIT 50 took about 1 ms with these
# four joins, 11 ms with six and 24-47 ms with seven (bench/results.md, 2026-11-23).
ROW_RELATIONS = ("caller", "assignment_group", "assignee", "service")
# The rest of what the API, exports and the incident page show: small tables, read by one
# IN query each (with_details), for a single incident too: joined, the three tables took the
# planner 7 ms of a pk look-up that plans in 0.75 ms with the four row joins (1,000,000
# incidents); three more round trips cost less than half of that.
DETAIL_RELATIONS = ("customer", "category", "subcategory")


def incident_list(user):
    """Incidents the user may see, with what a queue row shows loaded up front."""
    queryset = Incident.objects.select_related(*ROW_RELATIONS)
    if is_staff_reader(user):
        return queryset
    if may(user, (Role.REQUESTER,)):
        return queryset.filter(caller=user)
    return queryset.none()


def incident_search(queryset, text: str):
    """Incidents of `queryset` that `text` names: its number (any case), a part of its short
    description (any case) or its external ID (as imported). The queue's search box and the
    global search share it. On PostgreSQL each arm is one index (the number's unique index,
    the trigram index inc_short_description_trgm, the external ID's unique index)."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number=text.upper()) | Q(short_description__icontains=text) | Q(external_id=text))


def with_details(queryset):
    """`queryset` with everything the API and exports show of an incident loaded up front."""
    return queryset.prefetch_related(*DETAIL_RELATIONS)


def incident_get_for_user(user, pk, *, details: bool = True) -> Incident:
    """The incident `pk` if the user may see it; Http404 both when it is missing and when not.
    `details=False` for a gate that shows nothing of the incident (an attachment's download)."""
    queryset = incident_list(user)
    try:
        return (with_details(queryset) if details else queryset).get(pk=pk)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def queue(queryset, name: str, user):
    """Narrow `queryset` to one of QUEUES for `user`."""
    if name == "mine":
        return queryset.filter(assignee=user, state__in=OPEN_STATES)
    if name == "unassigned":
        # The team ids as a list: PostgreSQL plans the partial index for a list, not a subquery.
        teams = list(user.teams.values_list("pk", flat=True))
        return queryset.filter(assignment_group__in=teams, assignee__isnull=True,
                               state__in=OPEN_STATES)
    if name == "triage":
        # Open incidents no group has: reported in the portal, by an alert or logged without one,
        # with no assignment rule matching (incidents.assignment). Index inc_state_group.
        return queryset.filter(assignment_group__isnull=True, state__in=OPEN_STATES)
    if name == "open":
        return queryset.filter(state__in=OPEN_STATES)
    if name == "major":
        return queryset.filter(is_major=True, state__in=OPEN_STATES)
    if name == "resolved":
        since = timezone.now() - timedelta(days=RECENTLY_RESOLVED_DAYS)
        return queryset.filter(state=IncidentState.RESOLVED, resolved_at__gte=since)
    if name == AT_RISK:
        if not is_staff_reader(user):
            return queryset.none()  # SLA clocks are the service desk's, not the callers'
        return queryset.filter(state__in=OPEN_STATES).filter(Exists(_at_risk_timers()))
    return queryset


def _timers_of_row():
    """The timers of the outer incident row (served by the index timer_record on content_type,
    object_id), every scope and cycle: narrow them (at_risk keeps the customer's)."""
    return Timer.objects.filter(content_type=ContentType.objects.get_for_model(Incident), object_id=OuterRef("pk"))


def _at_risk_timers(now=None):
    return _timers_of_row().at_risk(now).values("pk")


def with_time_to_breach(queryset):
    """Annotate `sla_due_at`: the due instant of the incident's live resolution timer (None
    without one, or while it is paused)."""
    live = _timers_of_row().filter(metric=Metric.RESOLUTION, kind=TargetKind.SLA, is_current=True,
                                   stopped_at__isnull=True, state__in=(TimerState.RUNNING, TimerState.BREACHED))
    return queryset.annotate(sla_due_at=Subquery(live.values("due_at")[:1]))


def time_to_breach_order(descending: bool = False) -> list:
    """Soonest breach first; incidents without a live timer last (whatever the direction)."""
    due = F("sla_due_at").desc(nulls_last=True) if descending else F("sla_due_at").asc(nulls_last=True)
    return [due, "-pk" if descending else "pk"]


def clocks_of(incidents) -> dict:
    """{incident pk: the timer a queue row shows (the customer's current resolution cycle, else
    response)}, in one query."""
    pks = [incident.pk for incident in incidents]
    if not pks:
        return {}
    rows = Timer.objects.filter(content_type=ContentType.objects.get_for_model(Incident), object_id__in=pks,
                                kind=TargetKind.SLA, is_current=True).order_by("object_id", "metric")
    chosen = {}
    for timer in rows:  # "resolution" sorts before "response"
        chosen.setdefault(timer.object_id, timer)
    # The calendar versions once each (a join would read and parse a definition per row).
    versions = CalendarVersion.objects.in_bulk({timer.calendar_version_id for timer in chosen.values()})
    for timer in chosen.values():
        timer.calendar_version = versions[timer.calendar_version_id]
    return chosen


def timers_of(incident: Incident) -> list:
    """The incident's timers (response, then resolution; the customer's, then the groups'; every
    cycle) with their target, agreement, group and events, in a constant number of queries."""
    timers = list(Timer.objects.filter(content_type=ContentType.objects.get_for_model(Incident),
                                       object_id=incident.pk)
                  .select_related("target__agreement", "target__calendar", "calendar_version", "ola_team")
                  .prefetch_related(Prefetch("events", to_attr="event_list")))  # read by slas.explain
    order = {metric: index for index, metric in enumerate(Metric.values)}
    return sorted(timers, key=lambda t: (t.ola_team_id is not None, t.ola_team_id or 0, order.get(t.metric, 99),
                                         t.cycle))


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


def assignment_rule_list(user):
    """The assignment rules (staff read them; incidents.assignment applies them)."""
    if not is_staff_reader(user):
        return AssignmentRule.objects.none()
    return AssignmentRule.objects.select_related("service", "category__parent", "assignment_group")


def saved_filters_of(user, list_name: str = "incidents"):
    if not user.is_authenticated:
        return SavedFilter.objects.none()
    return SavedFilter.objects.filter(owner=user, list_name=list_name)


def queue_counts(user, names=QUEUES) -> dict:
    """How many incidents each queue of `names` holds for `user`: one small count per queue, each
    an index-only scan of a partial index (one combined query would read every open row from
    the table: bench/results.md, 2026-11-23 13:47)."""
    base = incident_list(user).order_by()
    return {name: _all_open_count(base, user) if name == "open" else queue(base, name, user).count()
            for name in names}


def _all_open_count(base, user) -> int:
    """Every open incident: the same for all staff, and the one count that reads tens of thousands
    of index entries."""
    if not is_staff_reader(user):
        return queue(base, "open", user).count()
    return _shared_count("open", lambda: queue(base, "open", user).count())


def _shared_count(name: str, count) -> int:
    """A count that is the same for every member of staff, kept SHARED_COUNT_SECONDS."""
    return cache.get_or_set(f"incidents:{name}-count", count, SHARED_COUNT_SECONDS)


# The counts that are the same for every member of staff and cost the most are kept this
# many seconds: all open incidents (tens of thousands of index entries) and at risk (a scan of
# the open incidents' timers, 200 ms over a million incidents' clocks: bench/results.md). Being
# "at risk" is a moving window (due within AT_RISK_HOURS) anyway. The lists are always live.
SHARED_COUNT_SECONDS = 30


def at_risk_count(user) -> int:
    if not is_staff_reader(user):
        return 0
    return _shared_count("at-risk", lambda: queue(incident_list(user).order_by(), AT_RISK, user).count())


def home_counts(user) -> dict:
    """The start page's incident figures for `user` (one query)."""
    if is_staff_reader(user):
        return queue_counts(user, names=HOME_QUEUES)
    return {"portal": True, "own_open": incident_list(user).open().count()}
