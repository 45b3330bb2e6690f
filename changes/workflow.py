"""The change's state machine (ISO/IEC 20000-1 8.5.1): new → assessment → authorisation →
scheduled → implementation → review → closed; cancelled from any state before implementation.

Any agent may raise a change; change managers run the workflow; the implementer (or a change
manager) starts and completes the implementation; approvers decide through itsm.approvals.
Standard changes skip authorisation (their template is pre-approved); emergency changes may go
to their (emergency) CAB straight from new and start before their planned window, and always
need a post-implementation review.

Guards that need the actor or other records (approval complete, conflicts, who implements) are
checked by changes.services before the step; the ones here read only the change and the input.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.choices import Role
from itsm.workflow import Transition, Workflow, requires

from .choices import BEFORE_IMPLEMENTATION, FINAL_STATES, REVIEW_REQUIRED_CODES, ChangeModel, CloseCode
from .choices import ChangeState as S

CHANGE_MANAGERS = (Role.CHANGE_MANAGER, Role.ADMINISTRATOR)
CHANGE_WORKERS = (Role.AGENT, Role.TEAM_LEAD, Role.PROBLEM_MANAGER, Role.CHANGE_MANAGER, Role.CAB_MEMBER,
                  Role.ADMINISTRATOR)
PLAN_FIELDS = ("implementation_plan", "backout_plan", "test_plan")


def _value(record, data, name):
    value = data.get(name, getattr(record, name, None))
    return value.strip() if isinstance(value, str) else value


def ready_for_authorisation(record, data) -> dict:
    """A normal change is assessed first, with its risk and its three plans; an emergency may go
    from new, with at least its implementation and backout plans."""
    emergency = record.change_model == ChangeModel.EMERGENCY
    if record.change_model == ChangeModel.STANDARD:
        return {"change_model": str(_("A standard change is pre-approved: schedule it instead."))}
    if record.state == S.NEW and not emergency:
        return {"state": str(_("Assess the change before asking for its authorisation."))}
    errors = {}
    if not emergency and not record.risk:
        errors["risk"] = str(_("Assess the risk (answer the risk questionnaire) first."))
    needed = PLAN_FIELDS[:2] if emergency else PLAN_FIELDS
    for name in needed:
        if not _value(record, data, name):
            errors[name] = str(_("This plan is required before authorisation."))
    return errors


def planned_window(record, data) -> dict:
    start, end = _value(record, data, "planned_start"), _value(record, data, "planned_end")
    if start is None or end is None:
        return {"planned_start": str(_("Plan the change's window (start and end) first."))}
    if end <= start:
        return {"planned_end": str(_("The planned end must be after the planned start."))}
    return {}


def standard_only(record, data) -> dict:
    if record.change_model != ChangeModel.STANDARD or record.template_id is None:
        return {"change_model": str(_("Only a standard change from the catalogue skips authorisation."))}
    return {}


def inside_window(record, data) -> dict:
    """Implementation starts inside the planned window; an emergency change may start early."""
    now = timezone.now()
    if record.planned_end is not None and now >= record.planned_end:
        return {"planned_end": str(_("The planned window has passed: reschedule the change."))}
    if record.change_model == ChangeModel.EMERGENCY:
        return {}
    if record.planned_start is None or now < record.planned_start:
        return {"planned_start": str(_("The planned window has not started yet."))}
    return {}


def completion_code(record, data) -> dict:
    code = data.get("close_code") or record.close_code
    if not code:
        return {"close_code": str(_("Say how the implementation went (close code)."))}
    if code == CloseCode.CANCELLED:
        return {"close_code": str(_("An implemented change is not cancelled: it failed or was backed out."))}
    return {}


def review_when_needed(record, data) -> dict:
    """Failed and backed-out changes, and every emergency change, close only after a review."""
    needs = record.close_code in REVIEW_REQUIRED_CODES or record.change_model == ChangeModel.EMERGENCY
    if needs and not _value(record, data, "review_notes"):
        return {"review_notes": str(_("This change needs post-implementation review notes before it closes."))}
    return {}


def mark_scheduled(record, data) -> None:
    record.scheduled_at = timezone.now()


def mark_authorised(record, data) -> None:
    record.authorised_at = timezone.now()


def mark_started(record, data) -> None:
    record.actual_start = record.actual_start or timezone.now()


def mark_completed(record, data) -> None:
    record.actual_end = timezone.now()


def mark_closed(record, data) -> None:
    record.closed_at = timezone.now()
    if record.review_notes.strip():
        record.reviewed_at = record.reviewed_at or record.closed_at


def mark_cancelled(record, data) -> None:
    record.close_code = CloseCode.CANCELLED
    record.closed_at = timezone.now()


def mark_unauthorised(record, data) -> None:
    record.authorised_at = None
    record.scheduled_at = None


CHANGE_WORKFLOW = Workflow(
    [
        Transition("assess", (S.NEW,), S.ASSESSMENT, _("Start assessment"), CHANGE_MANAGERS),
        Transition("request_authorisation", (S.NEW, S.ASSESSMENT), S.AUTHORISATION, _("Ask for authorisation"),
                   CHANGE_MANAGERS, guards=(ready_for_authorisation,), fields=PLAN_FIELDS),
        # Taken by the services when a material edit voids the approval of a scheduled change.
        Transition("reauthorise", (S.SCHEDULED,), S.AUTHORISATION, _("Needs authorisation again"), CHANGE_WORKERS,
                   effects=(mark_unauthorised,), style="warning", offered=False),
        Transition("schedule", (S.AUTHORISATION,), S.SCHEDULED, _("Schedule"), CHANGE_MANAGERS,
                   guards=(planned_window,), fields=("planned_start", "planned_end"), effects=(mark_scheduled,),
                   style="success"),
        Transition("schedule_standard", (S.NEW, S.ASSESSMENT), S.SCHEDULED, _("Schedule (standard change)"),
                   CHANGE_WORKERS, guards=(standard_only, planned_window), fields=("planned_start", "planned_end"),
                   effects=(mark_authorised, mark_scheduled), style="success"),
        Transition("return_to_assessment", (S.AUTHORISATION, S.SCHEDULED), S.ASSESSMENT,
                   _("Return to assessment"), CHANGE_MANAGERS, effects=(mark_unauthorised,), style="warning"),
        Transition("start", (S.SCHEDULED,), S.IMPLEMENTATION, _("Start implementation"), CHANGE_WORKERS,
                   guards=(inside_window,), effects=(mark_started,), style="warning"),
        Transition("complete", (S.IMPLEMENTATION,), S.REVIEW, _("Complete implementation"), CHANGE_WORKERS,
                   guards=(completion_code,), fields=("close_code", "close_notes"), effects=(mark_completed,)),
        Transition("close", (S.REVIEW,), S.CLOSED, _("Close"), CHANGE_MANAGERS,
                   guards=(review_when_needed,), fields=("review_notes",), effects=(mark_closed,),
                   style="secondary"),
        Transition("cancel", BEFORE_IMPLEMENTATION, S.CANCELLED, _("Cancel"), CHANGE_MANAGERS,
                   guards=(requires("cancel_reason"),), fields=("cancel_reason",), effects=(mark_cancelled,),
                   style="danger"),
    ],
    final_states=FINAL_STATES,
)
