"""Browser forms of the SLA settings. They turn what people type into the data the services
take (slas.services validates again and stays the guarantee)."""

import re
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config_items.choices import CatalogueStatus
from config_items.models import ConfigurationItem
from itsm.forms import StyledForm
from itsm.models import TIME_ZONE_CHOICES, Customer, Team
from itsm.widgets import SearchSelect, SearchSelectMultiple, chosen, limit_to_chosen

from . import registry
from .choices import WEEKDAYS, ActionKind, CycleCounting, DayKind, GoalKind, Metric, Restart, TargetKind
from .models import Calendar

WEEKDAY_LABELS = {
    "mon": gettext_lazy("Monday"), "tue": gettext_lazy("Tuesday"), "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"), "fri": gettext_lazy("Friday"), "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
PRIORITY_CHOICES = [(p, str(p)) for p in range(1, 6)]


def parse_hours(text: str) -> list[list[str]]:
    """"09:00-12:00, 13:30-18:00" -> [["09:00", "12:00"], ["13:30", "18:00"]]; empty: none."""
    pairs = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = INTERVAL.match(part)
        if not match:
            raise ValidationError(_("Write hours like 09:00-12:00, 13:30-18:00."))
        pairs.append([value.zfill(5) for value in match.groups()])
    return pairs


def format_hours(pairs) -> str:
    return ", ".join(f"{start}-{end}" for start, end in pairs or [])


class CalendarForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=TIME_ZONE_CHOICES, initial="UTC",
                                  widget=forms.Select(attrs={"data-tom-select": "single", "class": "form-select"}))
    country = forms.CharField(label=gettext_lazy("Public holidays of"), max_length=8, required=False,
                              help_text=gettext_lazy("ISO country code, e.g. CN; empty for none."))
    subdivision = forms.CharField(label=gettext_lazy("Region"), max_length=16, required=False,
                                  help_text=gettext_lazy("Optional region code, e.g. HK or BY."))
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, calendar: Calendar | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAY_LABELS[day], required=False, max_length=200,
                help_text=_("e.g. 09:00-12:00, 13:30-18:00; empty: closed") if day == "mon" else "",
                widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "09:00-18:00"}))
        if calendar is None:
            del self.fields["version"]
        else:
            self.fields["version"].required = True
            self.initial.setdefault("version", calendar.version)
            for name in ("name", "time_zone", "country", "subdivision", "is_active"):
                self.initial.setdefault(name, getattr(calendar, name))
            for day in WEEKDAYS:
                self.initial.setdefault(f"hours_{day}", format_hours(calendar.weekly_hours.get(day, [])))

    def weekday_fields(self):
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def clean(self):
        data = super().clean()
        weekly = {}
        for day in WEEKDAYS:
            try:
                weekly[day] = parse_hours(data.get(f"hours_{day}", ""))
            except ValidationError as exc:
                self.add_error(f"hours_{day}", exc)
        data["weekly_hours"] = weekly
        data["country"] = (data.get("country") or "").strip().upper()
        data["subdivision"] = (data.get("subdivision") or "").strip().upper()
        return data

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in
                ("name", "time_zone", "weekly_hours", "country", "subdivision", "is_active")}


class CalendarDayForm(StyledForm):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    hours = forms.CharField(label=gettext_lazy("Hours"), max_length=200, required=False,
                            help_text=gettext_lazy("For an extra working day, e.g. 09:00-18:00; empty: "
                                                   "the hours of a Monday."))

    def clean_hours(self):
        return parse_hours(self.cleaned_data.get("hours", ""))


class IcsImportForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("iCalendar file (.ics)"),
                           help_text=gettext_lazy("Every event becomes a closed day named by its summary."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 2 MB."))
        return upload


class RecomputeForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300,
                             help_text=gettext_lazy("Recorded on every timer that changes."))


class AgreementForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    customer = forms.ModelChoiceField(label=gettext_lazy("Customer"), queryset=Customer.objects.none(),
                                      required=False, empty_label=gettext_lazy("Every customer (provider-wide)"))
    services = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Services"), queryset=ConfigurationItem.objects.none(), required=False,
        help_text=gettext_lazy("Empty: every service."),
        widget=SearchSelectMultiple())  # the live services of the catalogue grow with it: searched, not listed
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, agreement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.order_by("name")
        services = ConfigurationItem.objects.services().filter(catalogue_status=CatalogueStatus.LIVE)
        if agreement is not None:  # a service that left "live" stays on the agreements that name it
            services = services | ConfigurationItem.objects.filter(pk__in=agreement.services.all())
        self.fields["services"].queryset = services.order_by("name")
        if agreement is None:
            del self.fields["version"]
        else:
            self.fields["version"].required = True
            self.initial.setdefault("version", agreement.version)
            for name in ("name", "customer", "valid_from", "valid_to", "description", "is_active"):
                self.initial.setdefault(name, getattr(agreement, name))
            self.initial.setdefault("services", list(agreement.services.values_list("pk", flat=True)))
        self.fields["services"].widget.attrs["data-search-url"] = reverse("ci_search") + "?service=live"
        limit_to_chosen(self.fields["services"], chosen(self, "services"))

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in
                ("name", "customer", "services", "valid_from", "valid_to", "description", "is_active")}


# --- targets -------------------------------------------------------------------------------------

def parse_escalations(text: str) -> list[dict]:
    """One threshold a line, "percent: action, action=value": e.g.
    "50: notify_assignee" / "90: notify_manager=alice, raise_priority" / "100: reassign=Network".
    notify_manager names a username, reassign a group name."""
    steps = []
    users, teams = get_user_model().objects, Team.objects
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        percent, colon, rest = line.partition(":")
        if not colon or not percent.strip().rstrip("%").strip().isdigit():
            raise ValidationError(_("Line %(line)s: write “percent: actions”, e.g. “50: notify_assignee”.") % {
                "line": number})
        actions = []
        for token in rest.split(","):
            if not token.strip():
                continue
            kind, _eq, value = (part.strip() for part in token.partition("="))
            if kind not in ActionKind.values:
                raise ValidationError(_("Line %(line)s: unknown action “%(kind)s”.") % {"line": number, "kind": kind})
            action = {"kind": kind}
            if kind == ActionKind.NOTIFY_MANAGER:
                user = users.filter(username=value, is_active=True).first() if value else None
                if user is None:
                    raise ValidationError(_("Line %(line)s: name the manager by username, e.g. "
                                            "notify_manager=alice.") % {"line": number})
                action["user"] = user.pk
            elif kind == ActionKind.REASSIGN:
                team = teams.filter(name=value).first() if value else None
                if team is None:
                    raise ValidationError(_("Line %(line)s: name the group, e.g. reassign=Network.") % {
                        "line": number})
                action["team"] = team.pk
            actions.append(action)
        steps.append({"percent": int(percent.strip().rstrip("%")), "actions": actions})
    return steps


def format_escalations(steps) -> str:
    user_ids = {a["user"] for s in steps for a in s.get("actions", []) if a.get("user")}
    team_ids = {a["team"] for s in steps for a in s.get("actions", []) if a.get("team")}
    usernames = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    team_names = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    lines = []
    for step in steps:
        tokens = []
        for action in step.get("actions", []):
            if action.get("user"):
                tokens.append(f"{action['kind']}={usernames.get(action['user'], action['user'])}")
            elif action.get("team"):
                tokens.append(f"{action['kind']}={team_names.get(action['team'], action['team'])}")
            else:
                tokens.append(action["kind"])
        lines.append(f"{step['percent']}: {', '.join(tokens)}")
    return "\n".join(lines)


def state_choices() -> list[tuple[str, str]]:
    seen = {}
    for subject in registry.subjects():
        for value, label in subject.pause_choices():
            seen.setdefault(value, label)
    return list(seen.items())


class TargetForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=TargetKind.choices, initial=TargetKind.SLA,
                             required=False, help_text=gettext_lazy("A service level target times the customer's promise; an "
                                                    "operational level target (OLA) times one assignment group, "
                                                    "from getting the record to handing it on, and is reported "
                                                    "apart."))
    team = forms.ModelChoiceField(label=gettext_lazy("Assignment group"), queryset=Team.objects.none(),
                                  required=False, empty_label=gettext_lazy("Every group"),
                                  help_text=gettext_lazy("For an operational level target: the group it times."),
                                  widget=forms.Select(attrs={"data-tom-select": "single", "class": "form-select"}))
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), choices=Metric.choices)
    record_type = forms.ChoiceField(label=gettext_lazy("Record type"), choices=())
    priorities = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Priorities"), choices=PRIORITY_CHOICES, coerce=int, required=False,
        help_text=gettext_lazy("Empty: any priority."), widget=forms.CheckboxSelectMultiple)
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=ConfigurationItem.objects.none(),
                                     required=False, empty_label=gettext_lazy("Any service of the agreement"),
                                     widget=forms.Select(attrs={"data-tom-select": "single", "class": "form-select"}))
    goal_hours = forms.IntegerField(label=gettext_lazy("Goal: hours"), min_value=0, max_value=100000, initial=0)
    goal_minutes = forms.IntegerField(label=gettext_lazy("Goal: minutes"), min_value=0, max_value=59, initial=0)
    goal_kind = forms.ChoiceField(label=gettext_lazy("Goal kind"), choices=GoalKind.choices, initial=GoalKind.DURATION,
                                  required=False,
                                  help_text=gettext_lazy("A business duration (hours and minutes above), or a due "
                                                         "instant relative to the start on the calendar."))
    goal_days = forms.IntegerField(label=gettext_lazy("Business days"), min_value=0, max_value=30, initial=1,
                                   required=False,
                                   help_text=gettext_lazy("For a relative goal: the Nth business day after the start "
                                                          "(0: the start's own day)."))
    goal_time = forms.TimeField(label=gettext_lazy("Time of day"), required=False,
                                help_text=gettext_lazy("For “at a time on the Nth business day”, in the calendar's "
                                                       "zone (e.g. 17:00)."))
    calendar = forms.ModelChoiceField(label=gettext_lazy("Calendar"), queryset=Calendar.objects.none())
    pause_states = forms.MultipleChoiceField(
        label=gettext_lazy("States that pause the clock"), choices=(), required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": "multiple", "class": "form-select"}))
    escalations = forms.CharField(
        label=gettext_lazy("Thresholds and actions"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One line per threshold, “percent: actions”. Actions: notify_assignee, "
                               "notify_group_lead, notify_manager=username, notify_assignee_team_lead, notify_service_owner, "
                               "notify_on_duty, notify_ci_owners, raise_priority, reassign=group name. "
                               "100 is the breach."))
    restart = forms.ChoiceField(
        label=gettext_lazy("When the clock would start again"), choices=Restart.choices, initial=Restart.CONTINUE,
        required=False, help_text=gettext_lazy("After the clock stopped: a resolution reopened, a customer reply after the service "
                               "desk answered, a group getting the record back. A new cycle has its own start, "
                               "elapsed time and outcome; a new cycle on each customer reply is for response "
                               "targets of the customer."))
    cycle_counting = forms.ChoiceField(label=gettext_lazy("Cycles counted in attainment"),
                                       choices=CycleCounting.choices, initial=CycleCounting.EVERY, required=False)

    def __init__(self, *args, agreement, target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["record_type"].choices = [(s.name, s.label) for s in registry.subjects()]
        self.fields["record_type"].initial = "incident"
        self.fields["pause_states"].choices = state_choices()
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name") | (
            Team.objects.filter(pk=target.team_id) if target is not None and target.team_id else Team.objects.none())
        self.fields["calendar"].queryset = Calendar.objects.filter(is_active=True).order_by("name") | (
            Calendar.objects.filter(pk=target.calendar_id) if target else Calendar.objects.none())
        services = agreement.services.all()
        if not services.exists():  # an agreement for every service: any live service of the catalogue
            services = ConfigurationItem.objects.services().filter(catalogue_status=CatalogueStatus.LIVE)
        if target is not None and target.service_id:
            services = services | ConfigurationItem.objects.filter(pk=target.service_id)
        self.fields["service"].queryset = services.order_by("name")
        if target is None:
            from .services import default_escalations

            self.initial.setdefault("escalations", format_escalations(default_escalations()))
        else:
            goal_minutes = int(target.goal.total_seconds() // 60)
            for name in ("name", "kind", "metric", "record_type", "priorities", "pause_states", "restart",
                         "cycle_counting", "goal_kind", "goal_days", "goal_time"):
                self.initial.setdefault(name, getattr(target, name))
            self.initial.setdefault("service", target.service_id)
            self.initial.setdefault("team", target.team_id)
            self.initial.setdefault("calendar", target.calendar_id)
            self.initial.setdefault("goal_hours", goal_minutes // 60)
            self.initial.setdefault("goal_minutes", goal_minutes % 60)
            self.initial.setdefault("escalations", format_escalations(target.escalations))
        if not agreement.services.exists():  # every live service of the catalogue: searched, not listed
            field = self.fields["service"]
            field.widget = SearchSelect({"placeholder": str(field.empty_label)},
                                        search_url=reverse("ci_search") + "?service=live")
            limit_to_chosen(field, chosen(self, "service"))

    def clean_escalations(self):
        from .services import clean_escalations

        steps = parse_escalations(self.cleaned_data.get("escalations", ""))
        try:
            return clean_escalations(steps)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("escalations", exc.messages)) from None

    def clean(self):
        data = super().clean()
        data["goal_kind"] = data.get("goal_kind") or GoalKind.DURATION
        data["kind"] = data.get("kind") or TargetKind.SLA
        data["restart"] = data.get("restart") or Restart.CONTINUE
        data["cycle_counting"] = data.get("cycle_counting") or CycleCounting.EVERY
        data["goal_days"] = 1 if data.get("goal_days") is None else data["goal_days"]
        hours, minutes = data.get("goal_hours"), data.get("goal_minutes")
        if hours is not None and minutes is not None:
            data["goal"] = timedelta(hours=hours, minutes=minutes)
            if data["goal"] <= timedelta(0) and data.get("goal_kind", GoalKind.DURATION) == GoalKind.DURATION:
                self.add_error("goal_hours", _("The goal must be longer than zero."))
        return data

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in
                ("name", "kind", "team", "metric", "record_type", "priorities", "service", "goal", "goal_kind",
                 "goal_days", "goal_time", "calendar", "pause_states", "escalations", "restart", "cycle_counting")}
        data["priorities"] = sorted(data["priorities"])
        if data["kind"] != TargetKind.OLA:
            data["team"] = None  # a group only for an operational level target
        return data
