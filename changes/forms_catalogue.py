"""Browser forms of the catalogue and risk pages: categories, templates and their approval,
raising a standard change, the risk questionnaire's settings and a change's answers.

Field names are the services' keys, so a service's field error lands on its field (the
questionnaire's are `question_<id>`, as the service names them)."""

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from itsm.forms import PersonChoiceField, StyledForm, style_widgets
from itsm.inputs import InstantField
from itsm.models import Team, User
from itsm.widgets import SearchSelect, SearchSelectMultiple, chosen, limit_to_chosen

from .choices import RiskLevel
from .models import ChangeCategory

WINDOW_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
NEW_OPTION_ROWS = 4


def instant_field(label, **kwargs):
    """A date and time typed in the person's time zone (the browser's datetime-local input)."""
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WINDOW_FORMAT)
    return InstantField(label=label, required=False, widget=widget, **kwargs)


def date_field(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


def text_area(label, rows=4, required=True, **kwargs):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def active_or_current(queryset, current_id):
    """Choices in use, plus the one the row already has (kept when retired)."""
    return queryset.filter(Q(is_active=True) | Q(pk=current_id)) if current_id else queryset.filter(is_active=True)


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


# --- settings -------------------------------------------------------------------------------------

class CategoryForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = text_area(_("Description"), rows=2, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                   help_text=_("Inactive categories are not offered for new changes; changes that "
                                               "have one keep it."))


class TemplateForm(StyledForm):
    """A standard-change template (no `template`: a new one, with its first review date)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = text_area(_("Description"), rows=2, required=False,
                            help_text=_("When to use it; a change raised from it starts with this description."))
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=ChangeCategory.objects.none())
    short_description = forms.CharField(label=_("Short description of its changes"), max_length=200)
    implementation_plan = text_area(_("Implementation plan"))
    backout_plan = text_area(_("Backout plan"))
    test_plan = text_area(_("Test plan"))
    risk = forms.ChoiceField(label=_("Risk"), choices=RiskLevel.choices, initial=RiskLevel.LOW)
    services = forms.ModelMultipleChoiceField(label=_("Services"), required=False, widget=SearchSelectMultiple(),
                                              queryset=ConfigurationItem.objects.filter(ci_type__is_service=True))
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), required=False,
                                              queryset=Team.objects.none(),
                                              widget=forms.Select(attrs={"data-tom-select": "single"}))
    duration_minutes = forms.IntegerField(label=_("Usual duration (minutes)"), min_value=1, max_value=60 * 24 * 30,
                                          initial=60)
    review_date = date_field(_("Review date"), required=False,
                             help_text=_("Empty: a year from today. Approving the template sets it again."))
    version = VersionField()

    APPROVED_HINT = _("Changing the plans, services or risk voids the template's approval: a change manager "
                      "approves it again before it can be used.")

    def __init__(self, *args, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.fields["category"].queryset = active_or_current(
            ChangeCategory.objects.all(), template.category_id if template else None).order_by("name")
        self.fields["assignment_group"].queryset = active_or_current(
            Team.objects.all(), template.assignment_group_id if template else None).order_by("name")
        services = self.fields["services"]
        services.widget.attrs["data-search-url"] = reverse("ci_search") + "?service=1"
        limit_to_chosen(services, chosen(self, "services"))
        if template is None:
            del self.fields["version"]
        else:
            del self.fields["review_date"]  # set by approving
            if template.approved_at:
                for name in ("implementation_plan", "backout_plan", "test_plan", "services", "risk"):
                    self.fields[name].help_text = self.APPROVED_HINT
        style_widgets(self)

    @staticmethod
    def initial_of(template) -> dict:
        names = ("name", "description", "category", "short_description", "implementation_plan", "backout_plan",
                 "test_plan", "risk", "assignment_group", "duration_minutes", "version")
        return {**{n: getattr(template, n) for n in names}, "services": list(template.services.all())}

    def service_data(self) -> dict:
        data = {n: v for n, v in self.cleaned_data.items() if n != "version"}
        data["services"] = list(data.get("services") or [])
        if data.get("review_date") is None:
            data.pop("review_date", None)
        if self.template is not None:  # only what changed: an untouched plan keeps the approval
            current = self.initial_of(self.template)
            data = {n: v for n, v in data.items()
                    if n == "services" and {s.pk for s in v} != {s.pk for s in current["services"]}
                    or n != "services" and v != current.get(n)}
        return data


class ApproveForm(StyledForm):
    review_date = date_field(_("Review date"), help_text=_("Until when the approval holds; after it the template "
                                                           "is approved again before it can be used."))
    notes = text_area(_("Approval notes"), rows=3, required=False)
    version = VersionField()


class ThresholdsForm(StyledForm):
    """The lowest score of each level; empty: the level has no threshold."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for level in RiskLevel:
            self.fields[level.value] = forms.IntegerField(
                label=level.label, required=False, min_value=0, max_value=1_000_000,
                help_text=_("Below the lowest threshold a change's risk is low.") if level == RiskLevel.LOW else "")
        style_widgets(self)


class QuestionForm(StyledForm):
    """A question; a new one with its first answers (rows left blank are skipped)."""

    text = forms.CharField(label=_("Question"), max_length=300)
    help_text = text_area(_("Help"), rows=2, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=1_000_000, initial=0)
    is_active = forms.BooleanField(label=_("Asked"), required=False, initial=True,
                                   help_text=_("Changes assessed before keep their answers."))

    def __init__(self, *args, new=True, **kwargs):
        super().__init__(*args, **kwargs)
        if new:
            for row in range(1, NEW_OPTION_ROWS + 1):
                self.fields[f"option_{row}_text"] = forms.CharField(
                    label=_("Answer %(row)s") % {"row": row}, max_length=200, required=False)
                self.fields[f"option_{row}_weight"] = forms.IntegerField(
                    label=_("Weight of answer %(row)s") % {"row": row}, min_value=0, max_value=1_000_000,
                    required=False)
        style_widgets(self)

    def service_data(self) -> dict:
        data = {n: self.cleaned_data[n] for n in ("text", "help_text", "order", "is_active")}
        if "option_1_text" in self.fields:
            data["options"] = [
                {"text": self.cleaned_data[f"option_{row}_text"], "weight": self.cleaned_data[f"option_{row}_weight"]
                 or 0, "order": row}
                for row in range(1, NEW_OPTION_ROWS + 1) if self.cleaned_data[f"option_{row}_text"].strip()]
        return data

    def field_for_error(self, key):
        return key if key in self.fields else None


class OptionForm(StyledForm):
    text = forms.CharField(label=_("Answer"), max_length=200)
    weight = forms.IntegerField(label=_("Weight"), min_value=0, max_value=1_000_000, initial=0)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=1_000_000, initial=0)


# --- work -----------------------------------------------------------------------------------------

class RaiseForm(StyledForm):
    """Raise a standard change from a template: what the template leaves to the person."""

    short_description = forms.CharField(label=_("Short description"), max_length=200)
    description = text_area(_("Description"), rows=3, required=False)
    planned_start = instant_field(_("Planned start"))
    planned_end = instant_field(_("Planned end"), help_text=_("Empty: the template's usual duration after the "
                                                              "start."))
    cis = forms.ModelMultipleChoiceField(label=_("Affected CIs"), required=False, widget=SearchSelectMultiple(),
                                         queryset=ConfigurationItem.objects.all(),
                                         help_text=_("The services depending on them are found in the CMDB."))
    assignment_group = forms.ModelChoiceField(label=_("Assignment group"), required=False,
                                              queryset=Team.objects.none(),
                                              widget=forms.Select(attrs={"data-tom-select": "single"}))
    implementer = PersonChoiceField(label=_("Implementer"), required=False, queryset=User.objects.none(),
                                    widget=SearchSelect(), help_text=_("A member of the assignment group."))
    schedule = forms.BooleanField(label=_("Schedule it now"), required=False, initial=True,
                                  help_text=_("A standard change needs no authorisation: it is scheduled in its "
                                              "window at once (refused if the window conflicts)."))

    def __init__(self, *args, template, **kwargs):
        kwargs["initial"] = {"short_description": template.short_description, "description": template.description,
                             "assignment_group": template.assignment_group_id, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].queryset = Team.objects.filter(is_active=True).order_by("name")
        implementer = self.fields["implementer"]
        implementer.queryset = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        implementer.widget.attrs["data-search-url"] = reverse("people_search")
        limit_to_chosen(implementer, chosen(self, "implementer"))
        cis = self.fields["cis"]
        cis.widget.attrs["data-search-url"] = reverse("ci_search")
        limit_to_chosen(cis, chosen(self, "cis"))
        style_widgets(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", _("The planned end must be after the planned start."))
        return data

    def service_data(self) -> dict:
        data = {n: v for n, v in self.cleaned_data.items() if n != "schedule"}
        data["cis"] = list(data.get("cis") or [])
        return data


class QuestionnaireForm(StyledForm):
    """One radio group per active question (`question_<id>`), as the service names its errors."""

    version = VersionField()

    def __init__(self, *args, questions, answered: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for question in questions:
            name = f"question_{question.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=question.text, help_text=question.help_text, coerce=int, required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                choices=[(o.pk, o.text) for o in question.option_list], initial=answered.get(question.pk))
            self.fields[name].options = question.option_list  # the template shows each answer's weight
        style_widgets(self)

    def answers(self) -> dict:
        return {int(name.removeprefix("question_")): value for name, value in self.cleaned_data.items()
                if name.startswith("question_") and value not in (None, "")}
