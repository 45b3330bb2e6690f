"""Blackout and maintenance windows (ScheduleWindow), managed by administrators.

A blackout window freezes changes: everywhere when it names no service, else for one service.
A maintenance window is when a service or a CI may be changed. Either is one-off or recurs by an
iCalendar RRULE in its own time zone (itsm.recurrence); collision detection
(changes.services.conflicts) reads them, the change calendar shades them.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm.permissions import ADMIN_ROLES, require
from itsm.records import save_with_history, versioned_save
from itsm.recurrence import validate_rrule
from itsm.validation import refuse_unknown

from ..choices import WindowKind
from ..models import ScheduleWindow

WINDOW_FIELDS = ("kind", "name", "reason", "service", "ci", "start", "end", "rrule", "time_zone", "is_active")


def _validate(window: ScheduleWindow) -> None:
    """The rules a window's fields must meet together; one ValidationError with every problem."""
    errors = {}
    try:
        window.rrule = validate_rrule(window.rrule or "")
    except ValidationError as exc:
        errors["rrule"] = exc.messages
    if window.time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = _("Choose a time zone from the list (for example Europe/Berlin).")
    naive = [name for name in ("start", "end")
             if getattr(window, name) is not None and getattr(window, name).utcoffset() is None]
    for name in naive:
        errors[name] = _("Give the time with its time zone.")
    if window.start and window.end and not naive and window.end <= window.start:
        errors["end"] = _("The end must be after the start.")
    if window.kind == WindowKind.BLACKOUT and window.ci_id:
        errors["ci"] = _("A blackout window is global or for a service, not for a single CI.")
    if window.kind == WindowKind.MAINTENANCE:
        if not window.service_id and not window.ci_id:
            errors["service"] = _("A maintenance window belongs to a service or a CI.")
        elif window.service_id and window.ci_id:
            errors["ci"] = _("Name either the service or the CI, not both.")
    if window.service_id and not window.service.ci_type.is_service:
        errors["service"] = _("%(item)s is not a service.") % {"item": window.service}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def window_create(*, actor, data: dict) -> ScheduleWindow:
    """Create a blackout or maintenance window (WINDOW_FIELDS; start and end aware, the first
    occurrence). Side effects: history. Scheduled changes meet it at their next conflict check
    (the beat's re-check, or a re-check asked for on the change)."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, WINDOW_FIELDS)
    window = ScheduleWindow(**data)
    _validate(window)
    window.full_clean()
    save_with_history(window, actor=actor, reason="created")
    return window


@transaction.atomic
def window_update(*, actor, window: ScheduleWindow, data: dict,
                  expected_version: int | None = None) -> ScheduleWindow:
    """Change a window (retire it with is_active=False: conflicts it caused are cleared at the
    next check; the window stays on record). Raises StaleRecord on a concurrent edit."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, WINDOW_FIELDS)
    locked = ScheduleWindow.objects.select_for_update().get(pk=window.pk)
    for name, value in data.items():
        setattr(locked, name, value)
    _validate(locked)
    versioned_save(locked, actor=actor, reason="updated", expected_version=expected_version)
    return locked
