"""Template helpers of the CMDB pages."""

from django import template
from django.utils.html import format_html

from ..choices import CIStatus

register = template.Library()


@register.simple_tag
def ci_status(status: str):
    """A CI status as a badge in the status's colour."""
    try:
        choice = CIStatus(status)
    except ValueError:
        return status
    return format_html('<span class="badge bg-{}-lt">{}</span>', choice.colour, choice.label)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
