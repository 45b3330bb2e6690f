"""Browser forms of the change pages.

Field names are the services' keys, so a service's field error lands on its field. Services,
CIs, people, problems and incidents are server-searched pickers (itsm/widgets.py): the page
holds only the chosen options.
"""

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from incidents.models import Incident
from itsm.forms import PersonChoiceField, StyledForm, VersionedModelForm, style_widgets
from itsm.inputs import InstantField
from itsm.models import Team, User
from itsm.widgets import SearchSelect, SearchSelectMultiple, chosen, limit_to_chosen
from problems.models import Problem

from .choices import ChangeModel, CloseCode
from .models import Change, ChangeCategory

CHANGE_FORM_FIELDS = [
    "short_description", "description", "justification", "change_model", "category", "requester",
    "services", "cis", "problems", "assignment_group", "implementer", "implementation_plan", "backout_plan",
    "test_plan", "planned_start", "planned_end",
]
# Standard changes are raised from the catalogue, with their template: not from this form.
RAISED_HERE = [(ChangeModel.NORMAL.value, ChangeModel.NORMAL.label),
               (ChangeModel.EMERGENCY.value, ChangeModel.EMERGENCY.label)]
WINDOW_FORMAT = "%Y-%m-%dT%H:%M"
# Fields whose value comes back from the browser altered though nobody changed it (ChangeForm._keep_untouched).
STORED_AS_SHOWN = ("short_description", "description", "justification", "implementation_plan", "backout_plan",
                   "test_plan", "planned_start", "planned_end")


def instant_field(label, **kwargs):
    """A date and time typed in the person's time zone (the browser's datetime-local input)."""
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WINDOW_FORMAT)
    return InstantField(label=label, required=False, widget=widget, **kwargs)


def text_area(label, rows=3, **kwargs):
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def record_label(record) -> str:
    return f"{record.number} {record.short_description}"


class ChangeForm(VersionedModelForm):
    """Raise (no instance) or edit (with instance and its version) a change."""

    change_model = forms.ChoiceField(label=_("Change model"), choices=RAISED_HERE, initial=ChangeModel.NORMAL,
                                     help_text=_("Emergency changes take the short path through the emergency "
                                                 "CAB and always need a review afterwards."))
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=ChangeCategory.objects.none())
    requester = PersonChoiceField(label=_("Requester"), required=False, queryset=User.objects.none(),
                                  widget=SearchSelect(), help_text=_("You, unless you raise it for someone else."))
    services = forms.ModelMultipleChoiceField(label=_("Affected services"), required=False,
                                              widget=SearchSelectMultiple(),
                                              queryset=ConfigurationItem.objects.filter(ci_type__is_service=True))
    cis = forms.ModelMultipleChoiceField(label=_("Affected CIs"), required=False, widget=SearchSelectMultiple(),
                                         queryset=ConfigurationItem.objects.all(),
                                         help_text=_("The services depending on them are found in the CMDB."))
    problems = forms.ModelMultipleChoiceField(label=_("Problems it fixes"), required=False,
                                              widget=SearchSelectMultiple(), queryset=Problem.objects.all())
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), required=False,
                                              queryset=Team.objects.none(),
                                              widget=forms.Select(attrs={"data-tom-select": "single"}))
    implementer = PersonChoiceField(label=_("Implementer"), required=False, queryset=User.objects.none(),
                                    widget=SearchSelect(), help_text=_("A member of the assignment group."))
    planned_start = instant_field(_("Planned start"))
    planned_end = instant_field(_("Planned end"))

    class Meta:
        model = Change
        fields = CHANGE_FORM_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in (
            "description", "justification", "implementation_plan", "backout_plan", "test_plan")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        editing = self.instance.pk is not None
        # As stored, before validation copies the input onto the instance (_keep_untouched).
        self.stored = {name: getattr(self.instance, name) for name in STORED_AS_SHOWN} if editing else {}
        self.fields["short_description"].widget.attrs["autofocus"] = True
        if editing:
            del self.fields["requester"]  # the requester stays who raised it
            if self.instance.change_model == ChangeModel.STANDARD:
                del self.fields["change_model"]  # a standard change stays one (its template)
        category = self.instance.category_id
        self.fields["category"].queryset = ChangeCategory.objects.filter(
            Q(is_active=True) | Q(pk=category) if category else Q(is_active=True)).order_by("name")
        self.fields["assignment_group"].queryset = Team.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.assignment_group_id)).order_by("name")
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        pickers = {"services": reverse("ci_search") + "?service=1", "cis": reverse("ci_search"),
                   "problems": reverse("change_problem_search"), "implementer": reverse("people_search")}
        if "requester" in self.fields:
            pickers["requester"] = reverse("people_search")
        for name, url in pickers.items():
            field = self.fields[name]
            if name in ("requester", "implementer"):
                field.queryset = people
            if name == "problems":
                field.label_from_instance = record_label
            field.widget.attrs["data-search-url"] = url
            limit_to_chosen(field, chosen(self, name))
        style_widgets(self)

    def clean(self):
        # Said here too (the service says it to everyone), so that the model's own check of the
        # window does not answer first with the constraint's name.
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", _("The planned end must be after the planned start."))
        return data

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in CHANGE_FORM_FIELDS if name in self.cleaned_data}
        for name in ("services", "cis", "problems"):
            data[name] = list(data.get(name) or [])
        if not data.get("requester"):
            data.pop("requester", None)  # the service makes the actor the requester
        if self.instance.pk:
            self._keep_untouched(data)
        return data

    def _keep_untouched(self, data: dict) -> None:
        """What the browser sends back as it was shown is the stored value itself: a window shown to
        the minute, a text whose line ends came back as CRLF. Otherwise the service would see a
        material edit and void the approval of a change nobody meant to change."""
        for name, value in data.items():
            current = self.stored.get(name)
            if isinstance(value, str) and isinstance(current, str):
                if value.replace("\r\n", "\n").strip() == current.replace("\r\n", "\n").strip():
                    data[name] = current
            elif name in ("planned_start", "planned_end") and value and current:
                if current.replace(second=0, microsecond=0) == value:
                    data[name] = current


class TransitionForm(StyledForm):
    """The input of one workflow step (its `fields`), an override reason when scheduling despite
    conflicts, and a note for the timeline."""

    implementation_plan = text_area(_("Implementation plan"), rows=4)
    backout_plan = text_area(_("Backout plan"), rows=3)
    test_plan = text_area(_("Test plan"), rows=3)
    planned_start = instant_field(_("Planned start"))
    planned_end = instant_field(_("Planned end"))
    override_reason = text_area(
        _("Override reason"), rows=2,
        help_text=_("Only when the window conflicts with other work and the conflict may be overridden: why "
                    "the change goes ahead anyway."))
    close_code = forms.ChoiceField(label=_("Close code"), required=False,
                                   choices=[("", "---------"), *[(value, label) for value, label in CloseCode.choices
                                                                 if value != CloseCode.CANCELLED]])
    close_notes = text_area(_("Close notes"))
    review_notes = text_area(_("Post-implementation review"), rows=4,
                             help_text=_("Required for failed, backed-out and emergency changes."))
    cancel_reason = text_area(_("Cancellation reason"), rows=2)
    reason = forms.CharField(label=_("Note"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Optional: shown on the timeline with the state change."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    SCHEDULING_STEPS = ("schedule", "schedule_standard")

    def __init__(self, *args, step, change=None, **kwargs):
        if change is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {**{name: getattr(change, name) for name in step.fields},
                                 **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.step = step
        keep = {*step.fields, "reason", "version"}
        if step.name in self.SCHEDULING_STEPS:
            keep.add("override_reason")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if step.name == "cancel":
            self.fields["cancel_reason"].required = True
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


class LinkProblemsForm(StyledForm):
    problems = forms.ModelMultipleChoiceField(label=_("Problems it fixes"), queryset=Problem.objects.all(),
                                              widget=SearchSelectMultiple())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_link_problems_%s"
        field = self.fields["problems"]
        field.label_from_instance = record_label
        field.widget.attrs["data-search-url"] = reverse("change_problem_search")
        limit_to_chosen(field, chosen(self, "problems"))


class LinkIncidentsForm(StyledForm):
    incidents = forms.ModelMultipleChoiceField(label=_("Incidents it caused"), queryset=Incident.objects.all(),
                                               widget=SearchSelectMultiple())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_link_incidents_%s"
        field = self.fields["incidents"]
        field.label_from_instance = record_label
        field.widget.attrs["data-search-url"] = reverse("change_incident_search")
        limit_to_chosen(field, chosen(self, "incidents"))
