"""Template filters of service level management: `{% load sla %}`."""

from datetime import timedelta

from django import template

from ..explain import business_hours as _business_hours

register = template.Library()


@register.filter
def business_hours(duration):
    """A goal in business hours and minutes: `{{ target.goal|business_hours }}` → "37 h 30 min"."""
    return _business_hours(duration) if isinstance(duration, timedelta) else duration
