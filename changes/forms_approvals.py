"""Browser forms of the approvals and CAB pages. They only validate input; the services
(changes.services.approvals, approval_rules, cab) decide."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from itsm.approval_models import Outcome
from itsm.forms import PeopleChoiceField, PersonChoiceField, StyledForm, StyledModelForm, VersionedModelForm
from itsm.inputs import InstantField
from itsm.models import TIME_ZONE_CHOICES, Team, User
from itsm.widgets import SearchSelect, SearchSelectMultiple, chosen, limit_to_chosen

from .choices import AgendaDecision, MeetingState
from .models import ApprovalRule, CabBoard

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def instant(label, required=True, **kwargs):
    """A date and time typed in the person's time zone."""
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)
    return InstantField(label=label, required=required, widget=widget, **kwargs)


class DecisionForm(StyledForm):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))


def _people_pickers(form, names) -> None:
    people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    for name in names:
        form.fields[name].queryset = people
        form.fields[name].widget.attrs["data-search-url"] = reverse("people_search")
        limit_to_chosen(form.fields[name], chosen(form, name))


def _teams(form, current_id) -> None:
    teams = Team.objects.filter(is_active=True)
    if current_id:  # an existing row keeps showing its team, even if inactive now
        teams = Team.objects.filter(pk=current_id) | teams
    form.fields["team"].queryset = teams.order_by("name")
    form.fields["team"].widget.attrs["data-tom-select"] = "single"


class ApprovalRuleForm(StyledModelForm):
    users = PeopleChoiceField(label=_("People"), queryset=None, required=False, widget=SearchSelectMultiple())

    class Meta:
        model = ApprovalRule
        fields = ["name", "change_model", "min_risk", "service", "team", "users", "board", "quorum", "quorum_value",
                  "order", "is_active"]
        help_texts = {
            "change_model": _("Blank: normal changes. Emergency changes match only emergency rules."),
            "min_risk": _("Blank: any risk. A change whose risk is not assessed matches every level."),
            "quorum_value": _("N for “N of M”, the percentage for “Percentage”."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ConfigurationItem.objects.filter(ci_type__is_service=True)
        self.fields["service"].widget = SearchSelect({"placeholder": _("Any service")},
                                                     search_url=reverse("ci_search") + "?service=1")
        limit_to_chosen(self.fields["service"], chosen(self, "service"))
        _teams(self, self.instance.team_id)
        boards = CabBoard.objects.filter(is_active=True)
        if self.instance.board_id:
            boards = CabBoard.objects.filter(pk=self.instance.board_id) | boards
        self.fields["board"].queryset = boards.order_by("name")
        _people_pickers(self, ["users"])

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class CabBoardForm(VersionedModelForm):
    members = PeopleChoiceField(label=_("Members"), queryset=None, required=False, widget=SearchSelectMultiple())
    chair = PersonChoiceField(label=_("Chair"), queryset=None, required=False, widget=SearchSelect(),
                              help_text=_("The chair is always a member; they run the meetings."))
    first_meeting = instant(_("First meeting"), required=False,
                            help_text=_("In your time zone; the board's time zone keeps its wall-clock time."))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="UTC",
                                  widget=forms.Select(attrs={"data-tom-select": "single"}))

    class Meta:
        model = CabBoard
        fields = ["name", "description", "team", "members", "chair", "first_meeting", "duration_minutes", "rrule",
                  "time_zone", "location", "is_emergency", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"rrule": _("For example FREQ=WEEKLY;BYDAY=TU for every Tuesday; blank: meetings are set "
                                 "one by one.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _teams(self, self.instance.team_id)
        _people_pickers(self, ["members", "chair"])


class PlanForm(StyledForm):
    until = instant(_("Plan meetings until"))


class MeetingForm(StyledForm):
    starts_at = instant(_("Starts"))
    ends_at = instant(_("Ends"), required=False, help_text=_("Blank: the board's usual duration."))


class MeetingRecordForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    attendees = forms.ModelMultipleChoiceField(label=_("Present"), queryset=User.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    state = forms.ChoiceField(label=_("State"), choices=MeetingState.choices)

    def __init__(self, *args, meeting, **kwargs):
        kwargs.setdefault("initial", {"version": meeting.version, "minutes": meeting.minutes, "state": meeting.state,
                                      "attendees": [p.pk for p in meeting.attendee_list]})
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = meeting.board.members.order_by("first_name", "last_name", "username")
        self.fields["attendees"].widget.attrs["class"] = "form-check-input"


class AgendaDecisionForm(StyledForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=AgendaDecision.choices)
    notes = forms.CharField(label=_("Minutes of this change"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 2}))
