"""Template helpers of the CMDB pages."""

from django import template

from ..choices import CIStatus

register = template.Library()


@register.inclusion_tag("config_items/includes/ci_status.html")
def ci_status(status: str):
    """A CI status as a badge in the status's colour (an unknown one as it is)."""
    try:
        choice = CIStatus(status)
    except ValueError:
        choice = None
    return {"choice": choice, "status": status}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
