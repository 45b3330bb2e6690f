"""The incident lifecycle, in one table.

new → in progress ⇄ on hold → resolved → closed; resolved → in progress (reopen, within the
reopen window); new / in progress / on hold → cancelled. Closed and cancelled are final.
Callers (requesters) may confirm a resolution (close) or reopen it; everything else is the
service desk's.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.choices import Role
from itsm.workflow import Transition, Workflow, requires

from .choices import FINAL_STATES
from .choices import IncidentState as S

INCIDENT_WORKERS = (Role.AGENT, Role.TEAM_LEAD, Role.ADMINISTRATOR)
CALLERS = (Role.REQUESTER,)
WORKING = (S.NEW, S.IN_PROGRESS, S.ON_HOLD)


def reopen_window() -> timedelta:
    return timedelta(days=settings.INCIDENT_REOPEN_DAYS)


def within_reopen_window(record, data) -> dict:
    """A resolution can be reopened only for a while; later, a new incident is the answer."""
    if record.resolved_at and timezone.now() - record.resolved_at > reopen_window():
        return {"state": str(_("The reopen period of %(days)s days has passed; report a new incident instead.")
                             % {"days": settings.INCIDENT_REOPEN_DAYS})}
    return {}


def mark_first_response(record, data) -> None:
    """The first service-desk step (or public comment, see services) is the first response."""
    record.first_response_at = record.first_response_at or timezone.now()


def mark_resolved(record, data) -> None:
    mark_first_response(record, data)
    record.resolved_at = timezone.now()
    record.on_hold_reason = ""


# What later apps require before an incident closes, registered in their AppConfig.ready()
# (problems: a major incident needs a linked problem or a recorded reason why none is needed).
# Each check is a guard: check(incident, data) -> {field: message}.
CLOSE_CHECKS: list = []


def register_close_check(check) -> None:
    if check not in CLOSE_CHECKS:
        CLOSE_CHECKS.append(check)


def later_apps_allow_closing(record, data) -> dict:
    errors = {}
    for check in CLOSE_CHECKS:
        errors.update(check(record, data))
    return errors


def mark_closed(record, data) -> None:
    record.closed_at = timezone.now()


def mark_reopened(record, data) -> None:
    record.reopen_count += 1
    record.resolved_at = None


def mark_resumed(record, data) -> None:
    record.on_hold_reason = ""


def mark_cancelled(record, data) -> None:
    mark_first_response(record, data)
    record.closed_at = timezone.now()
    record.on_hold_reason = ""


INCIDENT_WORKFLOW = Workflow(
    [
        Transition("start", (S.NEW,), S.IN_PROGRESS, _("Start work"), INCIDENT_WORKERS,
                   effects=(mark_first_response,)),
        Transition("hold", (S.NEW, S.IN_PROGRESS), S.ON_HOLD, _("Put on hold"), INCIDENT_WORKERS,
                   guards=(requires("on_hold_reason"),), fields=("on_hold_reason",), effects=(mark_first_response,), style="warning"),
        Transition("resume", (S.ON_HOLD,), S.IN_PROGRESS, _("Resume"), INCIDENT_WORKERS,
                   effects=(mark_resumed,)),
        Transition("resolve", WORKING, S.RESOLVED, _("Resolve"), INCIDENT_WORKERS,
                   guards=(requires("resolution_code", "resolution_notes"),),
                   fields=("resolution_code", "resolution_notes"), effects=(mark_resolved,), style="success"),
        Transition("close", (S.RESOLVED,), S.CLOSED, _("Close"), INCIDENT_WORKERS,
                   guards=(later_apps_allow_closing,), effects=(mark_closed,), style="secondary"),
        Transition("confirm", (S.RESOLVED,), S.CLOSED, _("Confirm resolution"), CALLERS,
                   guards=(later_apps_allow_closing,), effects=(mark_closed,), style="success"),
        Transition("reopen", (S.RESOLVED,), S.IN_PROGRESS, _("Reopen"), (*INCIDENT_WORKERS, *CALLERS),
                   guards=(within_reopen_window,), effects=(mark_reopened,), style="warning"),
        Transition("cancel", WORKING, S.CANCELLED, _("Cancel"), INCIDENT_WORKERS,
                   effects=(mark_cancelled,), style="danger"),
    ],
    final_states=FINAL_STATES,
)
