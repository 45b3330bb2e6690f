"""Browser forms of the CMDB. Attribute fields are generated from the chosen CI type's schema."""

import json
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm import selectors as itsm_selectors
from itsm.forms import PersonChoiceField, StyledForm, VersionedModelForm, style_widgets
from itsm.models import Customer, Team
from itsm.widgets import SearchSelect, chosen, limit_to_chosen

from .choices import AttributeKind
from .models import CIType, ConfigurationItem, RelationshipType

ATTRIBUTE_PREFIX = "attr_"
CATALOGUE_FIELDS = ("service_owner", "hours_of_service", "catalogue_status")


def attribute_field(definition: dict) -> forms.Field:
    """The form field of one attribute definition (see config_items.attributes)."""
    kind = definition["kind"]
    options = {"label": definition.get("label") or definition["name"],
               "required": bool(definition.get("required")), "help_text": definition.get("help", "")}
    if kind == AttributeKind.INTEGER:
        return forms.IntegerField(**options)
    if kind == AttributeKind.DECIMAL:
        return forms.DecimalField(**options)
    if kind == AttributeKind.BOOLEAN:
        # A checkbox cannot say "not known": a required yes/no still accepts "no".
        options["required"] = False
        return forms.BooleanField(**options)
    if kind == AttributeKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **options)
    if kind == AttributeKind.CHOICE:
        choices = [("", "—")] + [(c, c) for c in definition.get("choices", [])]
        return forms.ChoiceField(choices=choices, **options)
    if kind == AttributeKind.IP_ADDRESS:
        return forms.GenericIPAddressField(**options)
    if kind == AttributeKind.URL:
        return forms.URLField(assume_scheme="https", **options)
    return forms.CharField(max_length=1000, **options)


def json_value(value):
    """A cleaned form value as the service stores it (JSON-native)."""
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class CIForm(VersionedModelForm):
    """A CI's own fields, its type's attributes and, for services, the catalogue fields."""

    owner_team = forms.ModelChoiceField(
        label=_("Owner team"), queryset=Team.objects.none(), required=False,
        widget=forms.Select(attrs={"data-tom-select": "single"}),
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("Customers"), queryset=Customer.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": "multiple"}),
    )
    service_owner = PersonChoiceField(  # anyone with an account: searched (itsm.views.people), not listed
        label=_("Service owner"), queryset=None, required=False, widget=SearchSelect(),
    )

    class Meta:
        model = ConfigurationItem
        fields = ["name", "ci_type", "environment", "description", "owner_team", "customers",
                  "source", "external_id", "service_owner", "hours_of_service", "catalogue_status"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "source": _("The discovery tool that feeds this CI; empty for CIs entered by people."),
            "hours_of_service": _("For example “Mon–Fri 08:00–18:00 CST” or “24×7”."),
        }

    def __init__(self, *args, user, ci_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci_type"].queryset = CIType.objects.filter(is_active=True) | CIType.objects.filter(
            pk=self.instance.ci_type_id or 0)
        self.fields["ci_type"].widget.attrs.update({"data-attribute-fields": ""})
        self.fields["owner_team"].queryset = itsm_selectors.team_list(user).filter(is_active=True).order_by("name")
        self.fields["customers"].queryset = Customer.objects.filter(is_active=True).order_by("name")
        self.fields["service_owner"].queryset = itsm_selectors.user_list(user)
        self.fields["service_owner"].widget.attrs["data-search-url"] = reverse("people_search")
        limit_to_chosen(self.fields["service_owner"], chosen(self, "service_owner"))
        self.chosen_type = ci_type or self._chosen_type()
        self.schema = self.chosen_type.attribute_schema if self.chosen_type else []
        values = self.instance.attributes if self.instance.pk and self.instance.ci_type_id == getattr(
            self.chosen_type, "pk", None) else {}
        for definition in self.schema:
            field = attribute_field(definition)
            field.initial = values.get(definition["name"])
            self.fields[ATTRIBUTE_PREFIX + definition["name"]] = field
        if not (self.chosen_type and self.chosen_type.is_service):
            for name in CATALOGUE_FIELDS:
                del self.fields[name]
        style_widgets(self)

    def _chosen_type(self):
        raw = self.data.get(self.add_prefix("ci_type")) if self.is_bound else self.initial.get("ci_type")
        if raw in (None, ""):
            return self.instance.ci_type if self.instance.ci_type_id else None
        if isinstance(raw, CIType):
            return raw
        try:
            return CIType.objects.get(pk=int(raw))
        except (ValueError, TypeError, CIType.DoesNotExist):
            return None

    def main_fields(self):
        return [self[name] for name in self.fields
                if not name.startswith(ATTRIBUTE_PREFIX) and name not in CATALOGUE_FIELDS and name != "version"]

    def attribute_fields(self):
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]

    def catalogue_fields(self):
        return [self[name] for name in CATALOGUE_FIELDS if name in self.fields]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        data["customers"] = list(data.get("customers") or [])
        if not (self.chosen_type and self.chosen_type.is_service):
            # Only services have catalogue fields: a CI that stops being a service loses them.
            data.update(service_owner=None, hours_of_service="", catalogue_status="")
        data["attributes"] = {
            name[len(ATTRIBUTE_PREFIX):]: json_value(value) for name, value in self.cleaned_data.items()
            if name.startswith(ATTRIBUTE_PREFIX) and json_value(value) is not None
        }
        return data

    def field_for_error(self, key: str) -> str | None:
        """The form field that shows a service error keyed `key` ("attributes.cpu" → "attr_cpu")."""
        if key.startswith("attributes."):
            key = ATTRIBUTE_PREFIX + key.split(".", 1)[1]
        return key if key in self.fields else None


class CITypeForm(VersionedModelForm):
    attribute_schema = forms.CharField(
        label=_("Attributes"), required=False,
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace"}),
        help_text=_('A JSON list, for example [{"name": "cpu_count", "label": "CPUs", "kind": "integer", '
                    '"required": true}]. Kinds: text, integer, decimal, boolean, date, choice (with '
                    '"choices": [...]), ip, url.'),
    )

    class Meta:
        model = CIType
        fields = ["name", "slug", "description", "is_service", "attribute_schema", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["attribute_schema"] = json.dumps(self.instance.attribute_schema or [], indent=2,
                                                          ensure_ascii=False)

    def clean_attribute_schema(self):
        text = self.cleaned_data["attribute_schema"].strip() or "[]"
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s: %(problem)s)."),
                params={"line": exc.lineno, "column": exc.colno, "problem": exc.msg},
            ) from None


class RelationshipTypeForm(StyledForm):
    slug = forms.SlugField(label=_("Code"), max_length=50)
    forward_label = forms.CharField(label=_("Label (source to target)"), max_length=60,
                                    help_text=_("Read as “source … target”, for example “runs on”."))
    reverse_label = forms.CharField(label=_("Label (target to source)"), max_length=60,
                                    help_text=_("Read as “target … source”, for example “hosts”."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class RelationshipForm(StyledForm):
    DIRECTIONS = (
        ("outgoing", _("This CI is the source (it depends on the other CI)")),
        ("incoming", _("This CI is the target (the other CI depends on it)")),
    )
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, initial="outgoing")
    type = forms.ModelChoiceField(label=_("Relationship"), queryset=RelationshipType.objects.filter(is_active=True))
    other = forms.IntegerField(
        label=_("Other CI"),
        widget=forms.Select(attrs={"data-tom-select": "search"}),
        error_messages={"required": _("Choose a CI."), "invalid": _("Choose a CI.")},
    )

    def __init__(self, *args, user, search_url, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["other"].widget.attrs["data-search-url"] = search_url
        self.fields["other"].widget.choices = [("", "")]

    def clean_other(self):
        from .selectors import ci_list

        ci = ci_list(self.user).filter(pk=self.cleaned_data["other"]).first()
        if ci is None:
            raise forms.ValidationError(_("Choose a CI."))
        self.fields["other"].widget.choices = [(ci.pk, str(ci))]
        return ci


class BaselineForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(StyledForm):
    KINDS = (("cis", _("Configuration items")), ("relationships", _("Relationships")))
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KINDS)
    file = forms.FileField(label=_("CSV file"), required=False)
    content = forms.CharField(widget=forms.HiddenInput, required=False)
    atomic = forms.BooleanField(
        label=_("All or nothing"), required=False, initial=True,
        help_text=_("If any row is rejected, import no row at all."),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            raw = upload.read()
            try:
                data["content"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("The file must be UTF-8 encoded text (CSV)."))
        elif not data.get("content"):
            self.add_error("file", _("Choose a CSV file."))
        return data
