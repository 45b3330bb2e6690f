"""The problem's state machine (ISO/IEC 20000-1 8.6.3): new → assessment → root-cause analysis
→ known error → resolved → closed, cancelled from any open state.

Agents, team leads and problem managers investigate (assess, analyse); the problem manager owns
the decisions: publishing a known error, resolving, closing and cancelling.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.choices import Role
from itsm.workflow import Transition, Workflow, requires

from .choices import FINAL_STATES, TaskState
from .choices import ProblemState as S

PROBLEM_WORKERS = (Role.AGENT, Role.TEAM_LEAD, Role.PROBLEM_MANAGER, Role.ADMINISTRATOR)
PROBLEM_MANAGERS = (Role.PROBLEM_MANAGER, Role.ADMINISTRATOR)
INVESTIGATING = (S.NEW, S.ASSESSMENT, S.ROOT_CAUSE_ANALYSIS)
OPEN = (*INVESTIGATING, S.KNOWN_ERROR)


def quiet_period() -> timedelta:
    return timedelta(days=settings.PROBLEM_QUIET_DAYS)


def cause_or_workaround(record, data) -> dict:
    """A known error is worth publishing only with a root cause or a workaround to offer."""
    if any((data.get(name) or getattr(record, name, "")).strip() for name in ("root_cause", "workaround")):
        return {}
    message = str(_("A known error needs a root cause or a workaround."))
    return {"root_cause": message, "workaround": message}


def no_open_tasks(record, data) -> dict:
    count = record.tasks.filter(state=TaskState.OPEN).count()
    if count:
        return {"tasks": str(_("%(count)s investigation task(s) are still open: complete or cancel them first.")
                             % {"count": count})}
    return {}


def quiet_since_resolution(record, data) -> dict:
    """Closed only after PROBLEM_QUIET_DAYS without a recurrence: an incident linked to the problem
    and opened since its resolution reopens the question (the problem page says so)."""
    if record.resolved_at is None:
        return {}
    if record.incident_links.filter(incident__opened_at__gt=record.resolved_at).exists():
        return {"state": str(_("An incident linked to this problem was opened after its resolution: "
                               "the fix may not hold. Reopen the problem or unlink the incident."))}
    if timezone.now() - record.resolved_at < quiet_period():
        return {"state": str(_("A resolved problem may close %(days)s days after its resolution without a "
                               "recurrence.") % {"days": settings.PROBLEM_QUIET_DAYS})}
    return {}


def mark_root_cause(record, data) -> None:
    if record.root_cause.strip() and record.root_cause_found_at is None:
        record.root_cause_found_at = timezone.now()


def mark_known_error(record, data) -> None:
    mark_root_cause(record, data)
    record.known_error_at = record.known_error_at or timezone.now()
    if not record.symptom.strip():
        record.symptom = record.description or record.short_description


def mark_cause_disproved(record, data) -> None:
    record.root_cause_found_at = None


def mark_resolved(record, data) -> None:
    mark_root_cause(record, data)
    record.resolved_at = timezone.now()


def mark_reopened(record, data) -> None:
    record.resolved_at = None


def mark_closed(record, data) -> None:
    record.closed_at = timezone.now()


PROBLEM_WORKFLOW = Workflow(
    [
        Transition("assess", (S.NEW,), S.ASSESSMENT, _("Start assessment"), PROBLEM_WORKERS),
        Transition("analyse", (S.NEW, S.ASSESSMENT), S.ROOT_CAUSE_ANALYSIS, _("Start root-cause analysis"),
                   PROBLEM_WORKERS, effects=(mark_root_cause,)),
        Transition("publish_known_error", INVESTIGATING, S.KNOWN_ERROR, _("Publish known error"), PROBLEM_MANAGERS,
                   guards=(cause_or_workaround,),
                   fields=("root_cause", "root_cause_category", "workaround", "symptom"),
                   effects=(mark_known_error,), style="warning"),
        Transition("revise_cause", (S.KNOWN_ERROR,), S.ROOT_CAUSE_ANALYSIS, _("Cause proved wrong"),
                   PROBLEM_MANAGERS, effects=(mark_cause_disproved,), style="warning"),
        Transition("resolve", OPEN, S.RESOLVED, _("Resolve"), PROBLEM_MANAGERS,
                   guards=(requires("resolution_code", "resolution_notes"), no_open_tasks),
                   fields=("resolution_code", "resolution_notes", "fix"), effects=(mark_resolved,),
                   style="success"),
        Transition("reopen", (S.RESOLVED,), S.ROOT_CAUSE_ANALYSIS, _("Reopen"), PROBLEM_MANAGERS,
                   effects=(mark_reopened,), style="warning"),
        Transition("close", (S.RESOLVED,), S.CLOSED, _("Close"), PROBLEM_MANAGERS,
                   guards=(quiet_since_resolution,), effects=(mark_closed,), style="secondary"),
        Transition("cancel", OPEN, S.CANCELLED, _("Cancel"), PROBLEM_MANAGERS,
                   guards=(requires("cancel_reason"),), fields=("cancel_reason",), effects=(mark_closed,),
                   style="danger"),
    ],
    final_states=FINAL_STATES,
)
