"""One filter vocabulary for service level management: the API's lists (calendars, agreements,
targets, timers and breaches) and the dashboard's filters, which its page, its exports and the
report API (/api/v1/slas/reports/...) read alike."""

from datetime import timedelta

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.filtersets import IdFilter, InstantFilter
from itsm.forms import StyledForm
from itsm.models import Customer, Team
from itsm.widgets import SearchSelect, chosen, limit_to_chosen

from . import registry
from .choices import Metric, TargetKind, TimerState
from .models import Agreement, Calendar, Target
from .reports import MAX_PERIOD_DAYS, PRIORITIES, Filters, last_weeks, this_month


class CalendarFilterSet(django_filters.FilterSet):
    class Meta:
        model = Calendar
        fields = ["is_active", "country"]


class AgreementFilterSet(django_filters.FilterSet):
    class Meta:
        model = Agreement
        fields = ["is_active", "customer"]


class TargetFilterSet(django_filters.FilterSet):
    class Meta:
        model = Target
        fields = ["agreement", "is_current", "kind", "team", "metric", "record_type", "lineage", "calendar"]


class TimerFilterSet(django_filters.FilterSet):
    """Timers and breaches; `customer`, `service`, `team`, `priority` and `metric` as on the dashboard."""

    state = django_filters.MultipleChoiceFilter(choices=TimerState.choices)
    metric = django_filters.ChoiceFilter(choices=Metric.choices)
    kind = django_filters.ChoiceFilter(choices=TargetKind.choices,
                                       help_text="sla: the customer's timers; ola: the assignment groups'.")
    ola_team = IdFilter(field_name="ola_team_id", help_text="An operational level timer's group.")
    cycle = IdFilter(field_name="cycle", help_text="The cycle number (1 for the first).")
    is_current = django_filters.BooleanFilter(help_text="true: the current cycle of each key only.")
    breached = django_filters.BooleanFilter(field_name="breached_at", lookup_expr="isnull", exclude=True,
                                            help_text="true: breached timers; false: the others.")
    record_type = django_filters.CharFilter(method="filter_record_type", help_text="e.g. incident")
    object_id = IdFilter(help_text="The record's id (with record_type).")
    customer = IdFilter(field_name="customer_id")
    service = IdFilter(field_name="service_id_snapshot",
                                          help_text="The service (CI id) of the record when the timer last moved.")
    team = IdFilter(field_name="team_id")
    priority = IdFilter(field_name="priority")
    breached_after = InstantFilter(field_name="breached_at", lookup_expr="gte")
    breached_before = InstantFilter(field_name="breached_at", lookup_expr="lt")

    def filter_record_type(self, queryset, name, value):
        try:
            subject = registry.subject_named(value)
        except KeyError:
            return queryset.none()
        return queryset.filter(content_type=ContentType.objects.get_for_model(subject.model))


# --- the dashboard's filters (page, exports, report API) -------------------------------------

SEARCHABLE = {"data-tom-select": "single"}  # Tom Select (static/js/itsm.js) searches the options
DEFAULT_PERIOD = "12w"  # when none is chosen (and when the input is wrong)
PERIOD_CHOICES = (
    (DEFAULT_PERIOD, gettext_lazy("Last 12 weeks")),
    ("month", gettext_lazy("This month")),
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("custom", gettext_lazy("From … to …")),
)


class ReportFilterForm(StyledForm):
    """The dashboard's filters (page and exports; the report API with `from`/`to` for the days):
    its cleaned `filters` is the slas.reports.Filters every report function takes."""

    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    customer = forms.ModelChoiceField(label=gettext_lazy("Customer"), required=False,
                                      queryset=Customer.objects.order_by("name"), widget=forms.Select(SEARCHABLE))
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), required=False, queryset=None,
                                     widget=SearchSelect())  # services grow with the CMDB: searched, not listed
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), required=False, queryset=Team.objects.order_by("name"),
                                  widget=forms.Select(SEARCHABLE))
    priority = forms.TypedChoiceField(label=gettext_lazy("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=[("", "---------"), *((p, f"P{p}") for p in PRIORITIES)])
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), required=False,
                               choices=[("", "---------"), *Metric.choices])

    def __init__(self, *args, **kwargs):
        from config_items.models import ConfigurationItem

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ConfigurationItem.objects.filter(ci_type__is_service=True)
        self.fields["service"].widget.attrs["data-search-url"] = reverse("ci_search") + "?service=1"
        limit_to_chosen(self.fields["service"], chosen(self, "service"))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        period = data.get("period") or DEFAULT_PERIOD
        if period == "custom":
            start, end = data.get("start") or this_month()[0], data.get("end") or today
        elif period == DEFAULT_PERIOD:
            start, end = last_weeks(today=today)
        elif period == "month":
            start, end = this_month(today)
        else:
            start, end = today - timedelta(days=int(period) - 1), today
        if start > end:
            raise forms.ValidationError(_("The start of the period must not be after its end."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        data["filters"] = Filters(
            start=start, end=end,
            customer=data["customer"].pk if data.get("customer") else None,
            service=data["service"].pk if data.get("service") else None,
            team=data["team"].pk if data.get("team") else None,
            priority=data.get("priority"), metric=data.get("metric") or None,
        )
        return data


def report_filters_from(query) -> tuple[ReportFilterForm, Filters]:
    """The requested filters, or the default period (the last 12 weeks) unfiltered when the
    input is wrong."""
    form = ReportFilterForm(query)
    if not form.is_valid():
        return form, Filters(*last_weeks())
    filters = form.cleaned_data["filters"]
    # Show the period and its days in the fields (the default period's when none was given).
    shown = query.copy() if hasattr(query, "copy") else dict(query)
    shown["period"] = shown.get("period") or DEFAULT_PERIOD
    shown["start"], shown["end"] = filters.start.isoformat(), filters.end.isoformat()
    shown = ReportFilterForm(shown)
    shown.is_valid()
    return shown, filters
