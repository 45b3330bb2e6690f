"""Input checks shared by every app's services."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def refuse_unknown(data: dict, allowed) -> None:
    """Refuse input naming a field the service does not set (a typo, a read-only field), so
    that nothing a caller sends is silently ignored. One message per unknown field."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})


def apply_fields(obj, data: dict, allowed) -> None:
    """Set `data` on `obj` after `refuse_unknown`: the plain fields of a create or update."""
    refuse_unknown(data, allowed)
    for name, value in data.items():
        setattr(obj, name, value)
