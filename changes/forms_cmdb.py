"""Forms of the CMDB side of change management. They only collect input: the rules are in
changes.services.proposals and changes.services.unauthorised."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config_items.models import ConfigurationItem, RelationshipType
from itsm.forms import style_widgets
from itsm.widgets import SearchSelect, chosen, limit_to_chosen

from .choices import ProposalKind
from .models import Change
from .services.proposals import ATTRIBUTE_PREFIX, PROPOSABLE_FIELDS

RELATIONSHIP_KINDS = [(ProposalKind.ADD_RELATIONSHIP.value, ProposalKind.ADD_RELATIONSHIP.label),
                      (ProposalKind.REMOVE_RELATIONSHIP.value, ProposalKind.REMOVE_RELATIONSHIP.label)]


class ProposalForm(forms.Form):
    """One proposed CI change: an attribute (`field`, `after`) or a relationship (`relationship_type`,
    `target`), on one of the change's CIs. The page shows the two kinds as two forms."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ProposalKind.choices)
    ci = forms.ModelChoiceField(label=_("CI"), queryset=ConfigurationItem.objects.none())
    field = forms.ChoiceField(label=_("Field or attribute"), required=False)
    after = forms.CharField(label=_("New value"), required=False, max_length=2000,
                            help_text=_("Empty clears an attribute. A team by its name."))
    relationship_type = forms.ModelChoiceField(label=_("Relationship"), required=False, empty_label="—",
                                               queryset=RelationshipType.objects.filter(is_active=True))
    target = forms.ModelChoiceField(label=_("Related CI"), required=False, queryset=ConfigurationItem.objects.all())

    def __init__(self, *args, change: Change, **kwargs):
        super().__init__(*args, **kwargs)
        cis = list(change.cis.select_related("ci_type")) + list(change.services.select_related("ci_type"))
        self.fields["ci"].queryset = ConfigurationItem.objects.filter(pk__in=[ci.pk for ci in cis])
        self.fields["ci"].choices = [("", "—")] + [(ci.pk, str(ci)) for ci in cis]
        self.fields["field"].choices = [("", "—")] + field_choices(cis)
        self.fields["target"].widget = SearchSelect(search_url=reverse("ci_search"))
        limit_to_chosen(self.fields["target"], chosen(self, "target"))
        style_widgets(self)

    def service_data(self) -> dict:
        data = self.cleaned_data
        common = {"kind": data["kind"], "ci": data["ci"]}
        if data["kind"] == ProposalKind.ATTRIBUTE:
            return {**common, "field": data["field"], "after": data["after"]}
        return {**common, "relationship_type": data["relationship_type"], "target": data["target"]}


def field_choices(cis) -> list[tuple[str, str]]:
    """The CI fields a change proposes, then every attribute of the CIs' types (by label)."""
    choices = [(name, str(ConfigurationItem._meta.get_field(name).verbose_name).capitalize())
               for name in PROPOSABLE_FIELDS]
    seen = set()
    for ci in cis:
        for definition in ci.ci_type.attribute_schema:
            key = ATTRIBUTE_PREFIX + definition["name"]
            if key not in seen:
                seen.add(key)
                choices.append((key, f"{ci.ci_type}: {definition.get('label', definition['name'])}"))
    return choices


class ResolveForm(forms.Form):
    """Resolve an unauthorised CI change: link a change (by its number) or accept it with a reason."""

    change = forms.CharField(label=_("Change number"), required=False, max_length=20,
                             help_text=_("A change that names this CI, e.g. CHG0001234."))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def clean_change(self):
        number = self.cleaned_data["change"].strip().upper()
        if not number:
            return None
        change = Change.objects.filter(number=number).first()
        if change is None:
            raise forms.ValidationError(_("No change %(number)s.") % {"number": number})
        return change


class ExemptSourceForm(forms.Form):
    source = forms.CharField(label=_("Discovery source"), max_length=50,
                             help_text=_("As the CIs it discovers carry it in their “source” field."))
    reason = forms.CharField(label=_("Why its updates are not changes"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)
