"""Reads of the known-error database (KEDB): the list page, its search and stale flag, and the
suggestions offered while an incident is logged or worked.

A known error is a problem (Problem.objects.known_errors()): in state known error, or resolved /
closed with a workaround on record. Staff read them (auditors included); requesters see nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

import django_filters
from django.conf import settings
from django.db.models import BooleanField, Case, Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from config_items.selectors import dependencies_of
from incidents.models import Category
from itsm.filtersets import IdFilter

from .models import Problem, ProblemIncident
from .selectors import may_read_problems

# How far "depends on" is followed from the incident's CIs (a CI, what it runs on, what that runs on).
DEPENDENCY_DEPTH = 2
# The most CIs a suggestion walks through (a CI with a huge dependency tree stays one cheap query).
DEPENDENCY_LIMIT = 500
# Best match first: a known error on one of the incident's own CIs, then on its service, then on
# a CI the incident's CIs depend on.
DIRECT_CI, SERVICE, DEPENDENCY = 0, 1, 2
MATCH_LABELS = {DIRECT_CI: _("Same CI"), SERVICE: _("Same service"), DEPENDENCY: _("A CI it depends on")}
APPLIED = Count("incident_links", filter=Q(incident_links__workaround_applied_at__isnull=False))
SPARED = Count("incident_links", filter=Q(incident_links__via_known_error=True))


def stale_before(now=None):
    """Known errors published before this instant and still without a fix are stale."""
    return (now or timezone.now()) - timedelta(days=settings.KNOWN_ERROR_STALE_DAYS)


def stale_condition(now=None) -> Q:
    return Q(known_error_at__lt=stale_before(now), fix="")


def known_error_list(user, *, now=None):
    """The known errors the user may see, each with `is_stale` (published more than
    KNOWN_ERROR_STALE_DAYS ago and no fix on record), and what a list row shows loaded."""
    if not may_read_problems(user):
        return Problem.objects.none()
    return (Problem.objects.known_errors().select_related("service", "category")
            .annotate(is_stale=Case(When(stale_condition(now), then=Value(True)), default=Value(False),
                                    output_field=BooleanField())))


def known_error_search(queryset, text: str):
    """Known errors whose number (any case), short description, symptom, root cause or workaround
    names `text`. On PostgreSQL each text arm is a trigram index (problems.0002)."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(number=text.upper()) | Q(short_description__icontains=text)
                           | Q(symptom__icontains=text) | Q(root_cause__icontains=text)
                           | Q(workaround__icontains=text))


def stale_filter(queryset, stale: bool, now=None):
    condition = stale_condition(now)
    return queryset.filter(condition) if stale else queryset.exclude(condition)


def affecting_ci(queryset, ci_id: int):
    links = Problem.cis.through.objects.filter(problem_id=OuterRef("pk"), configurationitem_id=ci_id)
    return queryset.filter(Exists(links))


def with_counts(problems) -> list[Problem]:
    """`problems` (a page of them) with `applied` and `spared` set on each: how often its
    workaround was applied, and how many incidents it spared an investigation. One query."""
    problems = list(problems)
    counts = _counts_of([problem.pk for problem in problems])
    for problem in problems:
        problem.applied, problem.spared = counts.get(problem.pk, (0, 0))
    return problems


def _counts_of(pks) -> dict[int, tuple[int, int]]:
    rows = (ProblemIncident.objects.filter(problem_id__in=pks).values("problem_id")
            .annotate(applied=Count("pk", filter=Q(workaround_applied_at__isnull=False)),
                      spared=Count("pk", filter=Q(via_known_error=True))).order_by())
    return {row["problem_id"]: (row["applied"], row["spared"]) for row in rows}


# --- suggestions --------------------------------------------------------------------------------

@dataclass
class Suggestion:
    """A known error offered for an incident: why it matches, through which CI."""

    problem: Problem
    match: int  # DIRECT_CI, SERVICE or DEPENDENCY
    via: str = ""  # the CI (or service) it shares with the incident

    @property
    def match_label(self) -> str:
        return MATCH_LABELS[self.match]


def known_error_suggestions(user, *, service_id=None, ci_ids=(), limit: int = 5) -> list[Suggestion]:
    """Known errors sharing a CI or the service with an incident, or on a CI that the incident's
    CIs depend on (CMDB "depends on", DEPENDENCY_DEPTH steps), best match first, then the most
    used and the most recent. At most four queries whatever the number of CIs, dependencies and
    known errors: the walk, the CI matches, the ranked known errors, the names of the CIs."""
    if not may_read_problems(user):
        return []
    distances = dependencies_of(ci_ids, depth=DEPENDENCY_DEPTH, limit=DEPENDENCY_LIMIT) if ci_ids else {}
    match_of_ci = {pk: DIRECT_CI if distance == 0 else DEPENDENCY for pk, distance in distances.items()}
    if service_id:
        match_of_ci.setdefault(service_id, SERVICE)
    best = _best_ci_matches(match_of_ci)
    condition = Q(pk__in=list(best))
    if service_id:
        condition |= Q(service_id=service_id)
    if not best and not service_id:
        return []
    ranked = (Problem.objects.known_errors().filter(condition).select_related("service")
              .annotate(match=_rank(best, service_id), applied=APPLIED, spared=SPARED)
              .order_by("match", "-applied", "-known_error_at", "-id")[:limit])
    problems = list(ranked)
    names = dict(ConfigurationItem.objects.filter(pk__in={best[p.pk][1] for p in problems if p.pk in best})
                 .values_list("pk", "name"))
    return [_suggestion(problem, best, names) for problem in problems]


def _best_ci_matches(match_of_ci: dict[int, int]) -> dict[int, tuple[int, int]]:
    """{problem id: (best match, through which CI)} for the known errors on any of the CIs."""
    if not match_of_ci:
        return {}
    rows = (Problem.cis.through.objects.filter(configurationitem_id__in=list(match_of_ci),
                                               problem__in=Problem.objects.known_errors())
            .values_list("problem_id", "configurationitem_id"))
    best = {}
    for problem_id, ci_id in rows:
        candidate = (match_of_ci[ci_id], ci_id)
        if problem_id not in best or candidate < best[problem_id]:
            best[problem_id] = candidate
    return best


def _rank(best: dict[int, tuple[int, int]], service_id):
    """The match of each known error as an SQL expression, so the database orders and limits."""
    def matching(level):
        return [pk for pk, (match, _ci) in best.items() if match == level]

    whens = []
    if matching(DIRECT_CI):
        whens.append(When(pk__in=matching(DIRECT_CI), then=Value(DIRECT_CI)))
    if service_id:
        whens.append(When(service_id=service_id, then=Value(SERVICE)))
    if matching(SERVICE):
        whens.append(When(pk__in=matching(SERVICE), then=Value(SERVICE)))
    return Case(*whens, default=Value(DEPENDENCY), output_field=IntegerField())


def _suggestion(problem: Problem, best, names) -> Suggestion:
    match, ci_id = best.get(problem.pk, (None, None))
    if match != problem.match:  # the known error's service matched better than any of its CIs
        ci_id = None
    via = names.get(ci_id, "") if ci_id else str(problem.service or "")
    suggestion = Suggestion(problem=problem, match=problem.match, via=via)
    # What an API answer shows of a suggested problem: a score (higher is better) and why.
    problem.score, problem.reason = DEPENDENCY + 1 - suggestion.match, f"{suggestion.match_label}: {via}"
    return suggestion


# --- the list's filter vocabulary ---------------------------------------------------------------

class KnownErrorFilterSet(django_filters.FilterSet):
    """The KEDB's filters (its list page; the API may share them)."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    service = IdFilter(field_name="service_id", label=_("Service (CI id)"))
    ci = IdFilter(method="on_ci", label=_("Affected CI (CI id)"))
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.filter(parent__isnull=True),
                                                label=_("Category"))
    stale = django_filters.BooleanFilter(method="is_stale", label=_("Stale (no fix)"))

    class Meta:
        model = Problem
        fields = []

    def search(self, queryset, name, value):
        return known_error_search(queryset, value)

    def on_ci(self, queryset, name, value):
        return affecting_ci(queryset, value)

    def is_stale(self, queryset, name, value):
        return queryset if value is None else stale_filter(queryset, value)


# --- the incident page --------------------------------------------------------------------------

def incident_panel(incident, user) -> dict | None:
    """The known-error panel of the incident page (incidents.panels, registered by
    problems.navigation): no query here, the panel loads its suggestions with htmx."""
    if not may_read_problems(user):
        return None
    return {"incident": incident}


def form_panel(incident, user) -> dict | None:
    """The known-error box of the incident logging and editing form (incidents.panels, column
    "form"): it asks for suggestions by the form's service and CIs, with htmx, as they change."""
    if not may_read_problems(user):
        return None
    return {"incident": incident}
