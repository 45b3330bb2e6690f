"""Forms of the auditor's workspace: a bundle's period and scope, a sample, an external
auditor's access. Days are whole days in the person's time zone, the end day included."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem
from incidents.choices import Priority
from itsm import evidence
from itsm.models import Customer

from .sampling import MAX_SEED, MAX_SIZE, sampled_sources

DATE = forms.DateInput(attrs={"type": "date"})


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def end_of(day):
    """The end day is included: the period ends at the next midnight."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) if day else None


class PeriodScopeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("Until (included)"), widget=DATE)
    customers = forms.ModelMultipleChoiceField(Customer.objects.none(), label=_("Customers"), required=False,
                                               help_text=_("Empty: every customer."),
                                               widget=forms.SelectMultiple(attrs={"data-tom-select": "multiple"}))
    services = forms.ModelMultipleChoiceField(ConfigurationItem.objects.none(), label=_("Services"), required=False,
                                              help_text=_("Empty: every service."),
                                              widget=forms.SelectMultiple(attrs={"data-tom-select": "multiple"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = Customer.objects.order_by("name")
        self.fields["services"].queryset = ConfigurationItem.objects.services().order_by("name")

    def field_for_error(self, key):
        return {"period_start": "start", "period_end": "end"}.get(key, key)

    def period(self):
        return start_of(self.cleaned_data["start"]), end_of(self.cleaned_data["end"])

    def scope(self):
        return ([c.pk for c in self.cleaned_data["customers"]], [s.pk for s in self.cleaned_data["services"]])


class BundleForm(PeriodScopeForm):
    processes = forms.MultipleChoiceField(label=_("Processes"), widget=forms.CheckboxSelectMultiple)
    include_files = forms.BooleanField(label=_("Include the attached files (not only their SHA-256)"),
                                       required=False)
    field_order = ["processes", "start", "end", "customers", "services", "include_files"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(source.key, source.label) for source in evidence.sources()]
        self.fields["processes"].choices = choices
        self.fields["processes"].initial = [key for key, _label in choices]


class SampleForm(PeriodScopeForm):
    source = forms.ChoiceField(label=_("Record type"))
    size = forms.IntegerField(label=_("Sample size"), min_value=1, max_value=MAX_SIZE, initial=25)
    priorities = forms.TypedMultipleChoiceField(label=_("Priorities"), choices=Priority.choices, coerce=int,
                                                required=False, help_text=_("Empty: any priority."),
                                                widget=forms.CheckboxSelectMultiple)
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=MAX_SEED - 1, required=False,
                              help_text=_("Empty: a new random seed. The same seed and filters draw the same sample."))
    field_order = ["source", "start", "end", "priorities", "customers", "services", "size", "seed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(source.key, source.label) for source in sampled_sources()]


class AuditorForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("Give it to the auditor apart from the username."))
    expires_on = forms.DateField(label=_("Last day of access"), widget=DATE)


class AccessChangeForm(forms.Form):
    expires_on = forms.DateField(label=_("Last day of access"), widget=DATE, required=False,
                                 help_text=_("Empty: end access now."))
