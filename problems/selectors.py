"""Every read of problem management that views, API and reports share.

Staff (auditors included) read every problem; requesters see nothing of problems.
`problem_get_for_user` is the one gate: "not found" alike for a missing problem and one the
user may not see.
"""

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from itsm.attachments import attachments_of
from itsm.permissions import STAFF_ROLES, may

from .choices import OPEN_STATES, ProposalState
from .models import Problem, ProblemIncident, ProblemTask, ProblemWaiver, RootCauseCategory, TrendProposal

# Queues (?queue=...): the standing views of the problem list, each one indexed filter.
QUEUES = ("mine", "unassigned", "open", "known_errors", "managed")
ROW_RELATIONS = ("assignment_group", "assignee", "service", "problem_manager")
DETAIL_RELATIONS = ("category", "root_cause_category")


def may_read_problems(user) -> bool:
    return may(user, STAFF_ROLES)


def problem_list(user):
    """Problems the user may see, with what a list row shows loaded up front."""
    if not may_read_problems(user):
        return Problem.objects.none()
    return Problem.objects.select_related(*ROW_RELATIONS)


def with_details(queryset):
    """`queryset` with what the API and exports show of a problem loaded up front."""
    return queryset.select_related(*DETAIL_RELATIONS).prefetch_related(
        Prefetch("cis", to_attr="ci_list"))


def problem_search(queryset, text: str):
    """Problems whose number (any case), short description, symptom or workaround names `text`."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number=text.upper()) | Q(short_description__icontains=text)
                           | Q(symptom__icontains=text) | Q(workaround__icontains=text))


def queue(queryset, name: str, user):
    """One of QUEUES for `user`."""
    if name == "mine":
        return queryset.filter(assignee=user, state__in=OPEN_STATES)
    if name == "unassigned":
        return queryset.filter(assignee__isnull=True, state__in=OPEN_STATES,
                               assignment_group__in=user.teams.filter(is_active=True))
    if name == "open":
        return queryset.filter(state__in=OPEN_STATES)
    if name == "known_errors":
        return queryset.known_errors()
    if name == "managed":
        return queryset.filter(problem_manager=user, state__in=OPEN_STATES)
    return queryset.none()


def problem_get_for_user(user, pk, *, details: bool = True) -> Problem:
    queryset = problem_list(user)
    if details:
        queryset = with_details(queryset)
    problem = queryset.filter(pk=pk).first()
    if problem is None:
        raise Http404
    return problem


def linked_incidents(problem: Problem):
    """The problem's incident links with what the problem page lists of each incident."""
    return (ProblemIncident.objects.filter(problem=problem)
            .select_related("incident", "incident__service", "incident__assignee", "linked_by")
            .order_by("-incident__opened_at", "-incident_id"))


def recurrences_since_resolution(problem: Problem) -> int:
    """Linked incidents opened after the problem's resolution (each one questions the fix)."""
    if problem.resolved_at is None:
        return 0
    return problem.incident_links.filter(incident__opened_at__gt=problem.resolved_at).count()


def tasks_of(problem: Problem):
    return ProblemTask.objects.filter(problem=problem).select_related("assignee").order_by("state", "due_date", "id")


def problem_task_list(user):
    """Investigation tasks of the problems the user may see."""
    if not may_read_problems(user):
        return ProblemTask.objects.none()
    return ProblemTask.objects.select_related("assignee")


def incident_link_list(user):
    """Incident links (either side of them) the user may see, with what a link row shows."""
    if not may_read_problems(user):
        return ProblemIncident.objects.none()
    return ProblemIncident.objects.select_related("problem", "incident", "incident__service", "linked_by")


def waiver_list(user):
    """Recorded reasons why a major incident needs no problem."""
    if not may_read_problems(user):
        return ProblemWaiver.objects.none()
    return ProblemWaiver.objects.select_related("incident", "recorded_by").order_by("-recorded_at", "-id")


def root_cause_category_list(user):
    if not may_read_problems(user):
        return RootCauseCategory.objects.none()
    return RootCauseCategory.objects.all()


def problem_attachments(problem: Problem):
    return attachments_of(problem)


def problem_of_incident(incident):
    """The incident's link to its problem (with the problem), or None."""
    return ProblemIncident.objects.filter(incident_id=incident.pk).select_related("problem").first()


def known_error_counts(problems) -> dict[int, dict]:
    """For each problem of `problems`: how often its workaround was applied and how many incidents
    it spared a new investigation. One query whatever the number of problems."""
    pks = [problem.pk for problem in problems]
    rows = (ProblemIncident.objects.filter(problem_id__in=pks).values("problem_id")
            .annotate(applied=Count("pk", filter=Q(workaround_applied_at__isnull=False)),
                      spared=Count("pk", filter=Q(via_known_error=True))))
    counts = {pk: {"applied": 0, "spared": 0} for pk in pks}
    for row in rows:
        counts[row["problem_id"]] = {"applied": row["applied"], "spared": row["spared"]}
    return counts


def proposal_list(user, state: str | None = ProposalState.PENDING):
    if not may_read_problems(user):
        return TrendProposal.objects.none()
    queryset = TrendProposal.objects.select_related("service", "ci", "category", "decided_by", "problem")
    return queryset.filter(state=state) if state else queryset
