"""Attribute schemas of CI types, and validation of CI attribute values against them.

A schema is a list of attribute definitions:
    [{"name": "cpu_count", "label": "CPUs", "kind": "integer", "required": true},
     {"name": "tier", "label": "Tier", "kind": "choice", "choices": ["gold", "silver"]}]
Values are stored as JSON-native types (dates as ISO strings). Pure functions: no I/O.
"""

import datetime
import ipaddress
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from .choices import AttributeKind

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
DEFINITION_KEYS = {"name", "label", "kind", "required", "choices", "help"}


def validate_schema(schema) -> list[dict]:
    """Check an attribute schema; return it normalised. Raises ValidationError."""
    if not isinstance(schema, list):
        raise ValidationError({"attribute_schema": _("The attribute schema must be a list.")})
    errors, seen, normalised = [], set(), []
    for index, definition in enumerate(schema, start=1):
        problem = _definition_problem(definition, seen)
        if problem:
            errors.append(_("Attribute %(n)s: %(problem)s") % {"n": index, "problem": problem})
            continue
        seen.add(definition["name"])
        normalised.append({
            "name": definition["name"],
            "label": str(definition.get("label") or definition["name"]),
            "kind": definition["kind"],
            "required": bool(definition.get("required", False)),
            **({"choices": [str(c) for c in definition["choices"]]} if definition["kind"] == AttributeKind.CHOICE else {}),
            **({"help": str(definition["help"])} if definition.get("help") else {}),
        })
    if errors:
        raise ValidationError({"attribute_schema": errors})
    return normalised


def _definition_problem(definition, seen: set) -> str | None:
    if not isinstance(definition, dict):
        return _("each attribute must be an object")
    unknown = set(definition) - DEFINITION_KEYS
    if unknown:
        return _("unknown keys %(keys)s") % {"keys": ", ".join(sorted(unknown))}
    name = definition.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        return _("the name must be lower-case letters, digits and underscores, starting with a letter")
    if name in seen:
        return _("the name “%(name)s” is used twice") % {"name": name}
    if definition.get("kind") not in AttributeKind.values:
        return _("the kind must be one of %(kinds)s") % {"kinds": ", ".join(AttributeKind.values)}
    if definition["kind"] == AttributeKind.CHOICE:
        choices = definition.get("choices")
        if not isinstance(choices, list) or not choices:
            return _("a choice attribute needs a non-empty list of choices")
    return None


def clean_attributes(schema: list[dict], values) -> dict:
    """Validate `values` against `schema`; return the cleaned values.

    Unknown names, missing required values and values of the wrong kind are refused with one
    message per attribute, keyed "attributes.<name>" so forms and the API can show them.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": _("Attributes must be an object of name: value.")})
    definitions = {d["name"]: d for d in schema}
    errors, cleaned = {}, {}
    for name in sorted(set(values) - set(definitions)):
        errors[f"attributes.{name}"] = _("This type has no attribute “%(name)s”.") % {"name": name}
    for name, definition in definitions.items():
        value = values.get(name)
        if value in (None, ""):
            if definition.get("required"):
                errors[f"attributes.{name}"] = _("%(label)s is required.") % {"label": definition["label"]}
            continue
        try:
            cleaned[name] = clean_value(definition, value)
        except ValueError as exc:
            errors[f"attributes.{name}"] = f"{definition['label']}: {exc}"
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_value(definition: dict, value):
    """One value, converted to its JSON-native form. Raises ValueError with a readable message."""
    kind = definition["kind"]
    if kind == AttributeKind.TEXT:
        return str(value).strip()
    if kind == AttributeKind.INTEGER:
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise ValueError(_("enter a whole number"))
        return int(str(value).strip())
    if kind == AttributeKind.DECIMAL:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("enter a number")) from None
        if not number.is_finite() or isinstance(value, bool):
            raise ValueError(_("enter a number"))
        return str(number)
    if kind == AttributeKind.BOOLEAN:
        return _clean_boolean(value)
    if kind == AttributeKind.DATE:
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(_("enter a date as YYYY-MM-DD")) from None
    if kind == AttributeKind.CHOICE:
        if str(value) not in definition["choices"]:
            raise ValueError(_("choose one of %(choices)s") % {"choices": ", ".join(definition["choices"])})
        return str(value)
    if kind == AttributeKind.IP_ADDRESS:
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise ValueError(_("enter an IPv4 or IPv6 address")) from None
    if kind == AttributeKind.URL:
        try:
            URLValidator()(str(value).strip())
        except ValidationError:
            raise ValueError(_("enter a valid URL")) from None
        return str(value).strip()
    raise ValueError(_("unknown attribute kind"))


def _clean_boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "y"}:
        return True
    if text in {"false", "no", "0", "n"}:
        return False
    raise ValueError(_("enter yes or no"))
