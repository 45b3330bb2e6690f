"""One filter vocabulary for the change list and the API."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from incidents.choices import Impact
from itsm.filtersets import IdFilter, InstantFilter
from itsm.models import Team, User

from . import selectors
from .choices import ChangeModel, ChangeSource, ChangeState, CloseCode, RiskLevel
from .models import Change, ChangeCategory

QUEUE_CHOICES = [
    ("mine", _("My changes")),
    ("implementing", _("I implement")),
    ("open", _("All open")),
    ("scheduled_week", _("Scheduled this week")),
    ("review", _("In review")),
    ("emergency", _("Emergency")),
]


class ChangeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    queue = django_filters.ChoiceFilter(method="in_queue", label=_("Queue"), choices=QUEUE_CHOICES)
    # distinct=False: no join here repeats a row, and DISTINCT over the whole row defeats the indexes.
    state = django_filters.MultipleChoiceFilter(choices=ChangeState.choices, label=_("State"), distinct=False)
    change_model = django_filters.MultipleChoiceFilter(choices=ChangeModel.choices, label=_("Model"),
                                                       distinct=False)
    risk = django_filters.MultipleChoiceFilter(choices=RiskLevel.choices, label=_("Risk"), distinct=False)
    impact = django_filters.ChoiceFilter(choices=Impact.choices, label=_("Impact"))
    source = django_filters.ChoiceFilter(choices=ChangeSource.choices, label=_("Source"))
    close_code = django_filters.ChoiceFilter(choices=CloseCode.choices, label=_("Close code"))
    assignment_group = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), label=_("Assignment group"))
    implementer = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Implementer"))
    requester = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Requester"))
    category = django_filters.ModelChoiceFilter(queryset=ChangeCategory.objects.all(), label=_("Category"))
    template = IdFilter(field_name="template_id", label=_("Standard-change template (id)"))
    service = IdFilter(method="affecting_service", label=_("Affected service (CI id)"))
    ci = IdFilter(method="affecting_ci", label=_("Affected CI (CI id)"))
    impacted_service = IdFilter(method="impacting_service", label=_("Impacted service (CI id)"))
    problem = IdFilter(method="fixing_problem", label=_("Problem it fixes (id)"))
    incident = IdFilter(method="causing_incident", label=_("Incident it caused (id)"))
    planned_from = InstantFilter(method="planned_after", label=_("Planned window from"))
    planned_to = InstantFilter(method="planned_before", label=_("Planned window until"))
    opened_after = InstantFilter(field_name="opened_at", lookup_expr="gte", label=_("Opened from"))
    opened_before = InstantFilter(field_name="opened_at", lookup_expr="lt", label=_("Opened before"))
    updated_after = InstantFilter(field_name="updated_at", lookup_expr="gte", label=_("Updated from"))
    closed_after = InstantFilter(field_name="closed_at", lookup_expr="gte", label=_("Closed from"))

    class Meta:
        model = Change
        fields = []

    def search(self, queryset, name, value):
        return selectors.change_search(queryset, value)

    def in_queue(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return selectors.queue(queryset, value, user)

    def _through(self, queryset, field: str, column: str, value):
        through = getattr(Change, field).through
        return queryset.filter(Exists(through.objects.filter(change_id=OuterRef("pk"), **{column: value})))

    def affecting_service(self, queryset, name, value):
        return self._through(queryset, "services", "configurationitem_id", value)

    def affecting_ci(self, queryset, name, value):
        return self._through(queryset, "cis", "configurationitem_id", value)

    def impacting_service(self, queryset, name, value):
        return self._through(queryset, "impacted_services", "configurationitem_id", value)

    def fixing_problem(self, queryset, name, value):
        return self._through(queryset, "problems", "problem_id", value)

    def causing_incident(self, queryset, name, value):
        return self._through(queryset, "caused_incidents", "incident_id", value)

    def planned_after(self, queryset, name, value):
        return selectors.planned_between(queryset, start=value)

    def planned_before(self, queryset, name, value):
        return selectors.planned_between(queryset, end=value)
