"""One filter vocabulary for the problem lists and the API."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from incidents.choices import Priority
from incidents.models import Category
from itsm.filtersets import IdFilter, InstantFilter
from itsm.models import Team, User

from . import selectors
from .choices import ProblemSource, ProblemState
from .models import Problem, ProblemIncident, RootCauseCategory


class ProblemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    queue = django_filters.ChoiceFilter(
        method="in_queue", label=_("Queue"),
        choices=[("mine", _("My problems")), ("unassigned", _("My teams' unassigned")), ("open", _("All open")),
                 ("known_errors", _("Known errors")), ("managed", _("I manage"))],
    )
    state = django_filters.MultipleChoiceFilter(choices=ProblemState.choices, label=_("State"), distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Priority"), distinct=False)
    source = django_filters.ChoiceFilter(choices=ProblemSource.choices, label=_("Source"))
    assignment_group = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Assignment group"))
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Assignee"))
    problem_manager = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Problem manager"))
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull", label=_("Unassigned"))
    service = IdFilter(field_name="service_id", label=_("Service (CI id)"))
    ci = IdFilter(method="affecting_ci", label=_("Affected CI (CI id)"))
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.filter(parent__isnull=True),
                                                label=_("Category"))
    root_cause_category = django_filters.ModelChoiceFilter(queryset=RootCauseCategory.objects.all(),
                                                           label=_("Root-cause category"))
    known_error = django_filters.BooleanFilter(method="is_known_error", label=_("Known error"))
    incident = IdFilter(method="linked_to_incident", label=_("Linked incident (incident id)"))
    opened_after = InstantFilter(field_name="opened_at", lookup_expr="gte", label=_("Opened from"))
    opened_before = InstantFilter(field_name="opened_at", lookup_expr="lt", label=_("Opened before"))
    updated_after = InstantFilter(field_name="updated_at", lookup_expr="gte", label=_("Updated from"))

    class Meta:
        model = Problem
        fields = []

    def search(self, queryset, name, value):
        return selectors.problem_search(queryset, value)

    def affecting_ci(self, queryset, name, value):
        links = Problem.cis.through.objects.filter(problem_id=OuterRef("pk"), configurationitem_id=value)
        return queryset.filter(Exists(links))

    def linked_to_incident(self, queryset, name, value):
        links = ProblemIncident.objects.filter(problem_id=OuterRef("pk"), incident_id=value)
        return queryset.filter(Exists(links))

    def is_known_error(self, queryset, name, value):
        if value is None:
            return queryset
        known = queryset.known_errors()
        return known if value else queryset.exclude(pk__in=known.values("pk"))

    def in_queue(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return selectors.queue(queryset, value, user)


class ProblemIncidentFilterSet(django_filters.FilterSet):
    """Incident links: an incident's problem (?incident=), a problem's incidents (?problem=)."""

    incident = IdFilter(field_name="incident_id", label=_("Incident (id)"))
    problem = IdFilter(field_name="problem_id", label=_("Problem (id)"))
    waiting = django_filters.BooleanFilter(label=_("Waiting on the problem"))

    class Meta:
        model = ProblemIncident
        fields = []
