"""Browser forms of the service desk's incident pages.

Form field names are the model's (and the services') field names, so a service's field error
lands on its field. Big choice lists (callers, CIs) render only the chosen option: Tom Select
fetches the rest from a search URL.
"""

import json

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from itsm.forms import PersonChoiceField, StyledForm, VersionedModelForm, offer_rows, people_rows, style_widgets
from itsm.models import Customer, Team, User
from itsm.widgets import SearchSelect, SearchSelectMultiple, limit_to_chosen

from . import selectors
from .choices import OnHoldReason, ResolutionCode
from .models import Category, Incident
from .workflow import INCIDENT_WORKERS

# The logging form, in the order an agent fills it in while on the phone.
INCIDENT_FORM_FIELDS = [
    "short_description", "caller", "contact_name", "contact_email", "contact_phone", "customer", "service",
    "cis", "category", "subcategory", "impact", "urgency", "channel", "assignment_group", "assignee",
    "description", "parent",
]


def workers():
    """Active people who work incidents, by name."""
    return (User.objects.filter(is_active=True, groups__name__in=[str(r) for r in INCIDENT_WORKERS])
            .distinct().order_by("first_name", "last_name", "username"))


class SubcategorySelect(forms.Select):
    """Options carry their category (`data-parent`) so incidents.js can show only the matching ones."""

    parents: dict = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = getattr(value, "value", value)
        if key not in (None, "") and int(key) in self.parents:
            option["attrs"]["data-parent"] = self.parents[int(key)]
        return option


class AssigneeSelect(forms.Select):
    """Options carry the teams the person belongs to (`data-teams`), for filtering by group in JS."""

    teams: dict = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = getattr(value, "value", value)
        if key not in (None, ""):
            option["attrs"]["data-teams"] = " ".join(str(t) for t in self.teams.get(int(key), ()))
        return option


def team_memberships() -> dict[int, list[int]]:
    memberships = {}
    for user_id, team_id in Team.members.through.objects.filter(team__is_active=True).values_list("user_id",
                                                                                                  "team_id"):
        memberships.setdefault(user_id, []).append(team_id)
    return memberships


class ParentNumberField(forms.Field):
    """The parent incident, typed by its number (INC0001234)."""

    widget = forms.TextInput

    def to_python(self, value):
        value = str(value or "").strip().upper()[:50]
        if not value:
            return None
        incident = Incident.objects.filter(number=value).first()
        if incident is None:
            raise forms.ValidationError(_("There is no incident %(number)s."), params={"number": value})
        return incident

    def prepare_value(self, value):
        if isinstance(value, Incident):
            return value.number
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return Incident.objects.filter(pk=value).values_list("number", flat=True).first() or ""
        return value


class IncidentForm(VersionedModelForm):
    """Log (no instance) or edit (with instance and its version) an incident."""

    caller = PersonChoiceField(label=_("Caller"), queryset=User.objects.filter(is_active=True), required=False,
                               widget=SearchSelect())
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), required=False,
                                      widget=forms.Select(attrs={"data-tom-select": "single"}))
    service = forms.ModelChoiceField(label=_("Affected service"), required=False, widget=SearchSelect(),
                                     queryset=ConfigurationItem.objects.filter(ci_type__is_service=True))
    cis = forms.ModelMultipleChoiceField(label=_("Affected CIs"), required=False, widget=SearchSelectMultiple(),
                                         queryset=ConfigurationItem.objects.all())
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=Category.objects.none())
    subcategory = forms.ModelChoiceField(label=_("Subcategory"), required=False, queryset=Category.objects.none(),
                                         widget=SubcategorySelect())
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), required=False,
                                              queryset=Team.objects.none(),
                                              widget=forms.Select(attrs={"data-tom-select": "single"}))
    assignee = PersonChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none(),
                                 widget=AssigneeSelect())
    parent = ParentNumberField(label=_("Parent incident"), required=False,
                               help_text=_("The number of the incident this one is part of, e.g. INC0001001."))

    class Meta:
        model = Incident
        fields = INCIDENT_FORM_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "short_description": forms.TextInput(attrs={"autofocus": True}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["caller"].widget.attrs["data-search-url"] = reverse("incident_caller_search")
        self.fields["service"].widget.attrs["data-search-url"] = reverse("incident_ci_search") + "?service=1"
        self.fields["cis"].widget.attrs["data-search-url"] = reverse("incident_ci_search")
        self.fields["customer"].queryset = Customer.objects.filter(is_active=True).order_by("name")
        categories = list(selectors.category_list(user, active_only=True).order_by("name"))
        self.fields["category"].queryset = Category.objects.filter(
            pk__in=[c.pk for c in categories if c.parent_id is None])
        self.fields["category"].choices = [("", "---------")] + [
            (c.pk, c.name) for c in categories if c.parent_id is None]
        self.fields["subcategory"].queryset = Category.objects.filter(
            pk__in=[c.pk for c in categories if c.parent_id is not None])
        self.fields["subcategory"].choices = [("", "---------")] + [
            (c.pk, c.name) for c in categories if c.parent_id is not None]
        self.fields["subcategory"].widget.parents = {c.pk: c.parent_id for c in categories if c.parent_id}
        self.fields["assignment_group"].queryset = Team.objects.filter(is_active=True).order_by("name")
        self.fields["assignee"].queryset = workers()
        self.fields["assignee"].widget.teams = team_memberships()
        self.fields["assignee"].widget.attrs["data-assignee-of"] = "id_assignment_group"
        self.fields["impact"].widget.attrs["data-priority-input"] = "impact"
        self.fields["urgency"].widget.attrs["data-priority-input"] = "urgency"
        self.fields["category"].widget.attrs["data-category"] = ""
        self.fields["subcategory"].widget.attrs["data-subcategory-of"] = "id_category"
        self.fields["contact_name"].help_text = _("For a caller without an account.")
        if self.instance.pk is None:
            self.fields["channel"].initial = "phone"
        for name in ("caller", "service", "cis"):
            limit_to_chosen(self.fields[name], self._chosen(name))
        style_widgets(self)

    def _chosen(self, name):
        if self.is_bound:
            if name == "cis":
                return self.data.getlist(self.add_prefix(name)) if hasattr(self.data, "getlist") else []
            return self.data.get(self.add_prefix(name))
        if name in self.initial:
            return self.initial[name]
        if name == "cis":
            return list(self.instance.cis.values_list("pk", flat=True)) if self.instance.pk else []
        return getattr(self.instance, f"{name}_id", None)

    def priority_matrix_json(self) -> str:
        matrix = selectors.priority_matrix()
        return json.dumps({f"{impact}-{urgency}": p for (impact, urgency), p in matrix.items()})

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in INCIDENT_FORM_FIELDS if name in self.cleaned_data}
        data["cis"] = list(data.get("cis") or [])
        return data


class TransitionForm(StyledForm):
    """The input of one workflow step: its fields (on-hold reason, resolution) and a note."""

    on_hold_reason = forms.ChoiceField(label=_("On-hold reason"), choices=[("", "---------"), *OnHoldReason.choices])
    resolution_code = forms.ChoiceField(label=_("Resolution code"),
                                        choices=[("", "---------"), *ResolutionCode.choices])
    resolution_notes = forms.CharField(label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Note"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Optional: shown on the timeline with the state change."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, step, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        for name in ("on_hold_reason", "resolution_code", "resolution_notes"):
            if name not in step.fields:
                del self.fields[name]
        self.auto_id = f"id_{step.name}_%s"

    def step_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.step.fields if name in self.cleaned_data}


class AssignForm(StyledForm):
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), queryset=Team.objects.none(),
                                              widget=forms.Select(attrs={"data-tom-select": "single"}))
    assignee = PersonChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none(),
                                 widget=AssigneeSelect())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, prefix_id="assign", **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = f"id_{prefix_id}_%s"
        self.fields["assignment_group"].queryset = Team.objects.filter(is_active=True).order_by("name")
        self.fields["assignee"].queryset = workers()
        self.fields["assignee"].widget.teams = team_memberships()
        self.fields["assignee"].widget.attrs["data-assignee-of"] = f"id_{prefix_id}_assignment_group"


class CommentForm(StyledForm):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal work note (not shown to the caller)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_comment_%s"


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_attachment_%s"


class MajorForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_major_%s"


class CommunicationForm(StyledForm):
    AUDIENCES = (("stakeholders", _("Stakeholders")), ("customers", _("Customers")), ("internal", _("Internal")))
    audience = forms.ChoiceField(label=_("Audience"), choices=AUDIENCES, initial="stakeholders")
    body = forms.CharField(label=_("Status update"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_communication_%s"


class SavedFilterForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)


class BulkForm(StyledForm):
    """One action on the checked rows of the queue."""

    OPERATIONS = (("assign", _("Assign")), ("transition", _("Change state")))
    incidents = forms.ModelMultipleChoiceField(queryset=Incident.objects.none(),
                                               error_messages={"required": _("Tick at least one incident.")})
    operation = forms.ChoiceField(label=_("Action"), choices=OPERATIONS)
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), queryset=Team.objects.none(),
                                              required=False)
    assignee = PersonChoiceField(label=_("Assignee"), required=False, queryset=User.objects.none(),
                                 widget=AssigneeSelect())
    transition = forms.ChoiceField(label=_("Step"), required=False, choices=())
    on_hold_reason = forms.ChoiceField(label=_("On-hold reason"), required=False,
                                       choices=[("", "---------"), *OnHoldReason.choices])
    resolution_code = forms.ChoiceField(label=_("Resolution code"), required=False,
                                        choices=[("", "---------"), *ResolutionCode.choices])
    resolution_notes = forms.CharField(label=_("Resolution notes"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, worker_rows=None, **kwargs):
        """`worker_rows`: people_rows(workers()) when the page has read them already."""
        super().__init__(*args, **kwargs)
        self.auto_id = "id_bulk_%s"
        self.fields["incidents"].queryset = selectors.incident_list(user)
        self.fields["assignment_group"].queryset = Team.objects.filter(is_active=True).order_by("name")
        offer_rows(self.fields["assignment_group"], self.fields["assignment_group"].queryset.values_list("pk", "name"))
        self.fields["assignee"].queryset = workers()
        offer_rows(self.fields["assignee"], people_rows(workers()) if worker_rows is None else worker_rows)
        self.fields["assignee"].widget.teams = team_memberships()
        self.fields["assignee"].widget.attrs["data-assignee-of"] = "id_bulk_assignment_group"
        steps = [t for t in Incident.workflow.transitions if set(t.roles) & set(INCIDENT_WORKERS)]
        self.fields["transition"].choices = [("", "---------")] + [(t.name, t.label) for t in steps]
        self.fields["operation"].widget.attrs["data-bulk-operation"] = ""
        style_widgets(self)

    def clean(self):
        data = super().clean()
        if data.get("operation") == "assign" and not data.get("assignment_group"):
            self.add_error("assignment_group", _("Choose the group to assign to."))
        if data.get("operation") == "transition" and not data.get("transition"):
            self.add_error("transition", _("Choose the step."))
        return data

    def transition_data(self) -> dict:
        step = Incident.workflow.get(self.cleaned_data["transition"])
        return {name: self.cleaned_data[name] for name in step.fields if self.cleaned_data.get(name)}

