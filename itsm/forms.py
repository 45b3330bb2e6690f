"""Browser forms of the kernel, and the styling every app's forms share."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import selectors
from .exceptions import DomainError, NotPermitted
from .models import TIME_ZONE_CHOICES, Customer, Team
from .widgets import SearchSelect, SearchSelectMultiple, chosen, limit_to_chosen

# Widgets that are not text boxes, and their Bootstrap class; everything else is a form-control.
WIDGET_CLASSES = ((forms.CheckboxInput, "form-check-input"), (forms.Select, "form-select"))


def style_widgets(form: forms.BaseForm) -> None:
    """Give every visible widget its Tabler class (also for django-filter's forms)."""
    for field in form.fields.values():
        widget = field.widget
        if widget.is_hidden or "class" in widget.attrs:
            continue
        css = next((c for kind, c in WIDGET_CLASSES if isinstance(widget, kind)), "form-control")
        widget.attrs["class"] = css


def add_error_to_form(form: forms.BaseForm, exc: ValidationError | DomainError) -> None:
    """Show a service's refusal on `form`, with the input kept: each field's messages on that
    field where the form has it, else above the form. A Django ValidationError (with a field
    dict or not), a DomainError with `fields` (GuardFailed) or without (StaleRecord,
    TransitionNotAllowed: its message above the form). NotPermitted is raised again: it is no
    form error but a 403 (RoleRequiredMixin). A form whose fields are named otherwise than the
    service's keys ("attributes.cpu") maps them with a `field_for_error(key)` method."""
    if isinstance(exc, NotPermitted):
        raise exc
    if isinstance(exc, ValidationError):
        errors = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
    else:
        errors = exc.fields or {None: exc.message}
    field_for = getattr(form, "field_for_error", None) or (lambda key: key if key in form.fields else None)
    for key, messages in errors.items():
        form.add_error(field_for(key) if key else None, messages)


class StyledForm(forms.Form):
    """A form laid out by templates/itsm/forms/form.html: labels, hints and errors per field."""

    template_name = "itsm/forms/form.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class StyledModelForm(forms.ModelForm):
    template_name = "itsm/forms/form.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class VersionedModelForm(StyledModelForm):
    """Editing carries the version that was read, so a concurrent change is refused, not lost."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def service_data(self) -> dict:
        """The model fields as a service takes them (`version` travels separately)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class SignInForm(AuthenticationForm):
    template_name = "itsm/forms/form.html"
    # One message for a wrong password, an unknown or an inactive account: reveals nothing.
    error_messages = {
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("The username or password is not correct."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class StyledPasswordChangeForm(PasswordChangeForm):
    template_name = "itsm/forms/form.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class PreferencesForm(StyledForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=TIME_ZONE_CHOICES,
        help_text=_("Dates and times are shown in this time zone."),
        widget=forms.Select(attrs={"data-tom-select": "single"}),
    )


class TokenCreateForm(StyledForm):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("Say what uses the token, for example “monitoring” or “CI pipeline”."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=3650, initial=settings.API_TOKEN_DEFAULT_DAYS,
    )
    read_only = forms.BooleanField(
        label=_("Read only"), required=False,
        help_text=_("A read-only token can read data but never change it."),
    )


def offer_rows(field: forms.ModelChoiceField, rows) -> None:
    """Render a model choice field from (pk, label) pairs read with `values_list`: building a
    model instance per option cost a queue page more than its 50 rows (bench/results.md,
    2026-11-23). The field's queryset still validates whatever is posted."""
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    field.widget.choices = [*empty, *rows]


def person_label(first_name: str, last_name: str, username: str) -> str:
    full_name = f"{first_name} {last_name}".strip()
    return f"{full_name} ({username})" if full_name else username


def people_rows(users) -> list[tuple[int, str]]:
    """(pk, "Full Name (username)") of `users`, in their order, without model instances."""
    return [(pk, person_label(*names)) for pk, *names in users.values_list("pk", "first_name", "last_name",
                                                                            "username")]


class PersonChoiceMixin:
    """Choices of people: active accounts, shown by name and username."""

    def label_from_instance(self, obj):
        return person_label(obj.first_name, obj.last_name, obj.username)


class PersonChoiceField(PersonChoiceMixin, forms.ModelChoiceField):
    pass


class PeopleChoiceField(PersonChoiceMixin, forms.ModelMultipleChoiceField):
    pass


class TeamForm(VersionedModelForm):
    # Everyone with an account could be chosen: the page holds the chosen people only and
    # Tom Select searches the others (itsm/widgets.py, itsm.views.people).
    lead = PersonChoiceField(
        label=_("Lead"), queryset=None, required=False,
        help_text=_("The lead is always a member of the team."),
        widget=SearchSelect(),
    )
    on_duty_manager = PersonChoiceField(
        label=_("On-duty manager"), queryset=None, required=False,
        help_text=_("Who SLA escalations reach as the group's on-duty manager."), widget=SearchSelect(),
    )
    members = PeopleChoiceField(label=_("Members"), queryset=None, required=False, widget=SearchSelectMultiple())

    class Meta:
        model = Team
        fields = ["name", "email", "description", "lead", "on_duty_manager", "members", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = selectors.user_list(user).order_by("first_name", "last_name", "username")
        for name in ("lead", "on_duty_manager", "members"):
            self.fields[name].queryset = people
            self.fields[name].widget.attrs["data-search-url"] = reverse("people_search")
            limit_to_chosen(self.fields[name], chosen(self, name))

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("members")
        return data


class CustomerForm(VersionedModelForm):
    class Meta:
        model = Customer
        fields = ["code", "name", "email", "is_active"]
        help_texts = {"code": _("A short unique key, used in URLs and integrations.")}
