"""Browser forms of the problem pages and of the problem panel on the incident page.

Field names are the services' keys, so a service's field error lands on its field. The service
and CI pickers hold only their chosen options and search the CMDB remotely (itsm/widgets.py).
"""

import re

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from incidents.forms import AssigneeSelect, team_memberships
from incidents.models import Category, Incident
from itsm.forms import PersonChoiceField, StyledForm, VersionedModelForm, people_rows, style_widgets
from itsm.models import Team, User
from itsm.widgets import SearchSelect, SearchSelectMultiple, chosen, limit_to_chosen

from .choices import LinkedIncidentsOnResolve, ProblemResolutionCode
from .models import Problem, RootCauseCategory
from .workflow import PROBLEM_MANAGERS, PROBLEM_WORKERS

PROBLEM_FORM_FIELDS = [
    "short_description", "description", "symptom", "service", "cis", "category", "impact", "urgency",
    "assignment_group", "assignee", "problem_manager", "source", "root_cause", "root_cause_category",
    "contributing_factors", "workaround", "fix",
]
NUMBERS = re.compile(r"[A-Za-z]+\d+")


def people_with(roles):
    """Active people holding one of `roles`, by name."""
    return (User.objects.filter(is_active=True, groups__name__in=[str(r) for r in roles])
            .distinct().order_by("first_name", "last_name", "username"))


def active_or_current(queryset, current_id):
    """Choices that are in use, plus the one the record already has (kept when retired)."""
    return queryset.filter(Q(is_active=True) | Q(pk=current_id)) if current_id else queryset.filter(is_active=True)


class ProblemForm(VersionedModelForm):
    """Log (no instance) or edit (with instance and its version) a problem."""

    service = forms.ModelChoiceField(label=_("Affected service"), required=False, widget=SearchSelect(),
                                     queryset=ConfigurationItem.objects.filter(ci_type__is_service=True))
    cis = forms.ModelMultipleChoiceField(label=_("Affected CIs"), required=False, widget=SearchSelectMultiple(),
                                         queryset=ConfigurationItem.objects.all())
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=Category.objects.none())
    root_cause_category = forms.ModelChoiceField(label=_("Root-cause category"), required=False,
                                                 queryset=RootCauseCategory.objects.none())
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), required=False,
                                              queryset=Team.objects.none(),
                                              widget=forms.Select(attrs={"data-tom-select": "single"}))
    assignee = PersonChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none(),
                                 widget=AssigneeSelect())
    problem_manager = PersonChoiceField(label=_("Problem manager"), required=False, queryset=User.objects.none())

    class Meta:
        model = Problem
        fields = PROBLEM_FORM_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in (
            "description", "symptom", "root_cause", "contributing_factors", "workaround", "fix")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["short_description"].widget.attrs["autofocus"] = True
        self.fields["service"].widget.attrs["data-search-url"] = reverse("incident_ci_search") + "?service=1"
        self.fields["cis"].widget.attrs["data-search-url"] = reverse("incident_ci_search")
        self.fields["category"].queryset = active_or_current(
            Category.objects.filter(parent__isnull=True), self.instance.category_id).order_by("name")
        self.fields["root_cause_category"].queryset = active_or_current(
            RootCauseCategory.objects.all(), self.instance.root_cause_category_id).order_by("name")
        self.fields["assignment_group"].queryset = Team.objects.filter(is_active=True).order_by("name")
        self.fields["assignee"].queryset = people_with(PROBLEM_WORKERS)
        self.fields["assignee"].widget.teams = team_memberships()
        self.fields["assignee"].widget.attrs["data-assignee-of"] = "id_assignment_group"
        self.fields["problem_manager"].queryset = people_with(PROBLEM_MANAGERS)
        for name in ("service", "cis"):
            limit_to_chosen(self.fields[name], chosen(self, name))
        style_widgets(self)

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in PROBLEM_FORM_FIELDS if name in self.cleaned_data}
        data["cis"] = list(data.get("cis") or [])
        return data


class TransitionForm(StyledForm):
    """The input of one workflow step (its `fields`), a note, and on "resolve" what becomes of
    the incidents waiting on the problem."""

    root_cause = forms.CharField(label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    root_cause_category = forms.ModelChoiceField(label=_("Root-cause category"), required=False,
                                                 queryset=RootCauseCategory.objects.none())
    symptom = forms.CharField(label=_("Symptom"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("What users and agents see: how the service desk recognises it."))
    workaround = forms.CharField(label=_("Workaround"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    resolution_code = forms.ChoiceField(label=_("Resolution code"), required=False,
                                        choices=[("", "---------"), *ProblemResolutionCode.choices])
    resolution_notes = forms.CharField(label=_("Resolution notes"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    fix = forms.CharField(label=_("Fix"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cancel_reason = forms.CharField(label=_("Cancellation reason"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    linked_incidents = forms.ChoiceField(label=_("Incidents waiting on this problem"),
                                         choices=LinkedIncidentsOnResolve.choices,
                                         initial=LinkedIncidentsOnResolve.RESUME)
    reason = forms.CharField(label=_("Note"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Optional: shown on the timeline with the state change."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, step, problem=None, **kwargs):
        if problem is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {**{name: getattr(problem, f"{name}_id" if name == "root_cause_category" else name)
                                    for name in step.fields}, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.step = step
        keep = {*step.fields, "reason", "version", *(("linked_incidents",) if step.name == "resolve" else ())}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "root_cause_category" in self.fields:
            self.fields["root_cause_category"].queryset = RootCauseCategory.objects.filter(is_active=True)
        self.auto_id = f"id_{step.name}_%s"
        style_widgets(self)

    def step_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.step.fields if name in self.cleaned_data}


class CommentForm(StyledForm):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal work note"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_comment_%s"


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_attachment_%s"


class IncidentNumbersField(forms.Field):
    """Incidents typed by their numbers (INC0001001, INC0001002 …), each one existing."""

    widget = forms.TextInput

    def to_python(self, value):
        numbers = [n.upper() for n in NUMBERS.findall(str(value or ""))][:100]
        if not numbers:
            return []
        found = {incident.number: incident for incident in Incident.objects.filter(number__in=numbers)}
        missing = [number for number in numbers if number not in found]
        if missing:
            raise forms.ValidationError(_("There is no incident %(numbers)s."),
                                        params={"numbers": ", ".join(missing)})
        return list(found.values())


class LinkIncidentsForm(StyledForm):
    """Incidents to link to a problem: typed numbers and/or chosen in the picker."""

    numbers = IncidentNumbersField(label=_("Incident numbers"), required=False,
                                   help_text=_("For example INC0001001, INC0001002."))
    incidents = forms.ModelMultipleChoiceField(label=_("Or search incidents"), required=False,
                                               queryset=Incident.objects.all(), widget=SearchSelectMultiple())
    hold = forms.BooleanField(label=_("Put open incidents on hold awaiting the problem"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_link_%s"
        self.fields["incidents"].widget.attrs["data-search-url"] = reverse("problem_incident_search")
        self.fields["incidents"].label_from_instance = lambda incident: str(incident)
        limit_to_chosen(self.fields["incidents"], chosen(self, "incidents"))

    def clean(self):
        data = super().clean()
        picked = {incident.pk: incident for incident in [*(data.get("numbers") or []), *(data.get("incidents") or [])]}
        if not picked and not self.errors:
            self.add_error("numbers", _("Choose at least one incident."))
        data["chosen"] = list(picked.values())
        return data


class TaskForm(StyledForm):
    short_description = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    assignee = PersonChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none())
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_task_%s"
        self.fields["assignee"].queryset = people_with(PROBLEM_WORKERS)
        self.fields["assignee"].widget.choices = [("", "---------"), *people_rows(people_with(PROBLEM_WORKERS))]

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("short_description", "description", "assignee",
                                                            "due_date")}


class TaskFinishForm(StyledForm):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}))
    cancelled = forms.BooleanField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ProblemNumberField(forms.Field):
    """A problem typed by its number (PRB0001001)."""

    widget = forms.TextInput

    def to_python(self, value):
        value = str(value or "").strip().upper()[:50]
        if not value:
            return None
        problem = Problem.objects.filter(number=value).first()
        if problem is None:
            raise forms.ValidationError(_("There is no problem %(number)s."), params={"number": value})
        return problem


class IncidentLinkForm(StyledForm):
    """On the incident page: link this incident to an existing problem."""

    problem = ProblemNumberField(label=_("Problem number"), help_text=_("For example PRB0001001."))
    hold = forms.BooleanField(label=_("Put the incident on hold awaiting the problem"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_problem_link_%s"


class WaiverForm(StyledForm):
    reason = forms.CharField(label=_("Why no problem is needed"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_problem_waiver_%s"
