"""Browser forms of the schedule slice: blackout and maintenance windows, scheduling a change
(with an override reason for its conflicts), and the change calendar's filters and range."""

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from itsm.forms import StyledForm, style_widgets
from itsm.inputs import IdField, InstantField
from itsm.models import TIME_ZONE_CHOICES, Team
from itsm.widgets import SearchSelect, chosen, limit_to_chosen

from .calendar import MAX_RANGE
from .choices import WindowKind
from .services.windows import WINDOW_FIELDS

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def local_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)


class WallClockField(forms.DateTimeField):
    """A date and time on the wall clock of a zone the form names elsewhere: kept naive here,
    made aware by the form's clean() (a window's times are in the window's own time zone)."""

    widget = forms.DateTimeInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        try:
            return dt.datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def _ci_picker(form, name: str, search: str) -> None:
    field = form.fields[name]
    field.widget = SearchSelect(search_url=search)
    limit_to_chosen(field, chosen(form, name))


class WindowForm(StyledForm):
    """A blackout or maintenance window; start and end are the first occurrence, read on the
    window's own time zone (Saturday 22:00 in Europe/Berlin stays 22:00 over summer time)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=WindowKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    service = forms.ModelChoiceField(
        label=_("Service"), required=False, queryset=ConfigurationItem.objects.services(),
        help_text=_("A blackout window without a service holds everywhere."))
    ci = forms.ModelChoiceField(label=_("CI"), required=False, queryset=ConfigurationItem.objects.all(),
                                help_text=_("Maintenance windows only: the CI the window belongs to."))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="UTC",
                                  widget=forms.Select(attrs={"data-tom-select": "single"}))
    start = WallClockField(label=_("Start (first occurrence)"), widget=local_input())
    end = WallClockField(label=_("End (first occurrence)"), widget=local_input())
    rrule = forms.CharField(label=_("Repeats (RRULE)"), required=False, max_length=500,
                            help_text=_("Empty for a one-off window; for example FREQ=WEEKLY;BYDAY=SA for every "
                                        "Saturday, FREQ=MONTHLY;BYDAY=1SU for the first Sunday of each month."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, window=None, **kwargs):
        if window is not None:
            zone = zoneinfo.ZoneInfo(window.time_zone)
            kwargs["initial"] = {
                **{name: getattr(window, name) for name in WINDOW_FIELDS},
                "service": window.service_id, "ci": window.ci_id,
                "start": window.start.astimezone(zone).replace(tzinfo=None),
                "end": window.end.astimezone(zone).replace(tzinfo=None), "version": window.version,
                **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.window = window
        if window is None:
            del self.fields["version"]
        else:
            self.fields["version"].required = True
        search = reverse("ci_search")
        _ci_picker(self, "service", search + "?service=1")
        _ci_picker(self, "ci", search)
        style_widgets(self)

    def clean(self):
        data = super().clean()
        zone = data.get("time_zone")
        if zone:
            tz = zoneinfo.ZoneInfo(zone)
            for name in ("start", "end"):
                if data.get(name) is not None:
                    data[name] = data[name].replace(tzinfo=tz)
        return data

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in WINDOW_FIELDS}


class ScheduleForm(StyledForm):
    """Schedule a change: its planned window (in the person's time zone) and, when its conflicts
    need an override, why it goes ahead anyway."""

    planned_start = InstantField(label=_("Planned start"), widget=local_input())
    planned_end = InstantField(label=_("Planned end"), widget=local_input())
    override_reason = forms.CharField(
        label=_("Override reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when conflicts need an override: say why the change goes ahead anyway."))

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", _("The planned end must be after the planned start."))
        return data


class CalendarFilterForm(StyledForm):
    """The calendar page's filters (GET): service, assignment group, CI."""

    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=ConfigurationItem.objects.services())
    group = forms.ModelChoiceField(label=_("Assignment group"), required=False,
                                   queryset=Team.objects.filter(is_active=True).order_by("name"),
                                   widget=forms.Select(attrs={"data-tom-select": "single"}))
    ci = forms.ModelChoiceField(label=_("CI"), required=False, queryset=ConfigurationItem.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        search = reverse("ci_search")
        _ci_picker(self, "service", search + "?service=1")
        _ci_picker(self, "ci", search)
        style_widgets(self)

    def query(self) -> dict:
        """The chosen filters as ids (what the events endpoint takes)."""
        if not self.is_valid():
            return {}
        return {name: value.pk for name, value in self.cleaned_data.items() if value is not None}


class CalendarRangeForm(forms.Form):
    """What the events endpoint reads: the range (FullCalendar's start and end) and the filters."""

    start = InstantField()
    end = InstantField()
    service = IdField(required=False)
    group = IdField(required=False)
    ci = IdField(required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", _("The end must be after the start."))
            elif end - start > MAX_RANGE:
                self.add_error("end", _("Ask for at most %(days)d days at a time.") % {"days": MAX_RANGE.days})
        return data
