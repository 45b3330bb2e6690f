"""One filter vocabulary for the incident queues and the API."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from itsm.filtersets import IdFilter, InstantFilter
from itsm.models import Customer, Team, User

from . import selectors
from .choices import Channel, Impact, IncidentState, Priority, Urgency
from .models import Category, Incident
from .selectors import NO_GROUP


@extend_schema_field({"type": "string", "description": "Assignment group: a team's id, or `none` for the "
                                                      "incidents without a group."})
class GroupOrNoneFilter(django_filters.ModelChoiceFilter):
    """A team's id, or NO_GROUP ("none") for the incidents without a group."""


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    queue = django_filters.ChoiceFilter(
        method="in_queue", label=_("Queue"),
        choices=[("mine", _("My work")), ("unassigned", _("My teams' unassigned")), ("open", _("All open")),
                 ("major", _("Major incidents")), ("resolved", _("Recently resolved")),
                 ("at_risk", _("At risk (SLA)")), ("triage", _("Triage (no group)"))],
    )
    # distinct=False: no join here can repeat a row, and DISTINCT over the whole row defeats
    # every index (bench/results.md, 2026-11-23).
    state = django_filters.MultipleChoiceFilter(choices=IncidentState.choices, label=_("State"), distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Priority"), distinct=False)
    impact = django_filters.ChoiceFilter(choices=Impact.choices, label=_("Impact"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("Urgency"))
    # ?assignment_group=none: incidents without a group (the triage queue's filter).
    assignment_group = GroupOrNoneFilter(queryset=Team.objects.all(), label=_("Assignment group"),
                                         null_label=_("(no group)"), null_value=NO_GROUP)
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Assignee"))
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull", label=_("Unassigned"))
    caller = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Caller"))
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all(), label=_("Customer"))
    service = IdFilter(field_name="service_id", label=_("Service (CI id)"))
    ci = IdFilter(method="affecting_ci", label=_("Affected CI (CI id)"))
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.filter(parent__isnull=True),
                                                label=_("Category"))
    subcategory = django_filters.ModelChoiceFilter(queryset=Category.objects.filter(parent__isnull=False),
                                                   label=_("Subcategory"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    is_major = django_filters.BooleanFilter(label=_("Major incident"))
    parent = IdFilter(field_name="parent_id", label=_("Parent incident (id)"))
    correlation_key = django_filters.CharFilter(label=_("Correlation key"))
    external_id = django_filters.CharFilter(label=_("External ID"))
    opened_after = InstantFilter(field_name="opened_at", lookup_expr="gte", label=_("Opened from"))
    opened_before = InstantFilter(field_name="opened_at", lookup_expr="lt", label=_("Opened before"))
    updated_after = InstantFilter(field_name="updated_at", lookup_expr="gte", label=_("Updated from"))

    class Meta:
        model = Incident
        fields = []

    def search(self, queryset, name, value):
        return selectors.incident_search(queryset, value)

    def affecting_ci(self, queryset, name, value):
        # EXISTS rather than a join + DISTINCT: the page stays one indexed query.
        links = Incident.cis.through.objects.filter(incident_id=OuterRef("pk"), configurationitem_id=value)
        return queryset.filter(Exists(links))

    def in_queue(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return selectors.queue(queryset, value, user)
