"""Logging, changing and assigning a problem; its comments and attachments."""

from django.db import transaction
from django.utils import timezone

from incidents.services import priority_for
from itsm.attachments import attachment_add
from itsm.events import emit
from itsm.journal import record_comment
from itsm.models import Team
from itsm.permissions import require
from itsm.records import check_version, record_create, record_save
from itsm.validation import refuse_unknown

from ..models import Problem
from ..workflow import PROBLEM_WORKERS
from .common import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    assignment_summary,
    journal_assignment,
    refuse_final,
    refuse_retired,
    sync_clocks,
    validate,
)


@transaction.atomic
def problem_create(*, actor, data: dict, reason: str = "") -> Problem:
    """Log a problem (CREATE_FIELDS). Priority comes from the incident matrix. Side effects:
    history, journal (assignment), events `problem.created` (and `problem.assigned`), SLA clocks."""
    require(actor, PROBLEM_WORKERS)
    refuse_unknown(data, CREATE_FIELDS)
    refuse_retired(data)
    data = dict(data)
    cis = data.pop("cis", None)
    problem = Problem(opened_at=timezone.now(), **data)
    problem.priority = priority_for(problem.impact, problem.urgency)
    validate(problem)
    record_create(problem, actor=actor, reason=reason or "created")
    if cis:
        problem.cis.set(cis)
    if problem.assignment_group_id:
        journal_assignment(problem, actor, {"group": None, "assignee": None})
    emit("problem.created", record=problem, actor=actor, payload={"priority": problem.priority})
    sync_clocks(problem, actor, "logged", created=True)
    return problem


@transaction.atomic
def problem_update(*, actor, problem: Problem, data: dict, expected_version: int | None = None,
                   reason: str = "") -> Problem:
    """Change a problem's details (EDITABLE_FIELDS, plus assignment_group/assignee). A new impact
    or urgency re-derives the priority. Final problems are refused. Raises StaleRecord."""
    require(actor, PROBLEM_WORKERS)
    refuse_unknown(data, (*EDITABLE_FIELDS, "assignment_group", "assignee"))
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    check_version(locked, expected_version)
    refuse_final(locked)
    refuse_retired(data, before=locked)
    data = dict(data)
    cis = data.pop("cis", None)
    before = assignment_summary(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.priority = priority_for(locked.impact, locked.urgency)
    if locked.root_cause.strip() and locked.root_cause_found_at is None:
        locked.root_cause_found_at = timezone.now()
    validate(locked)
    record_save(locked, actor=actor, reason=reason or "updated")
    if cis is not None:
        locked.cis.set(cis)
    journal_assignment(locked, actor, before)
    emit("problem.updated", record=locked, actor=actor, payload={"fields": sorted(data)})
    sync_clocks(locked, actor, "updated")
    return locked


@transaction.atomic
def problem_assign(*, actor, problem: Problem, group: Team | None, assignee=None,
                   expected_version: int | None = None, reason: str = "") -> Problem:
    """Assign to a group and optionally one of its members (event `problem.assigned` notifies)."""
    require(actor, PROBLEM_WORKERS)
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    check_version(locked, expected_version)
    refuse_final(locked)
    before = assignment_summary(locked)
    locked.assignment_group, locked.assignee = group, assignee
    validate(locked)
    if assignment_summary(locked) == before:
        return locked
    record_save(locked, actor=actor, reason=reason or "assigned")
    journal_assignment(locked, actor, before)
    sync_clocks(locked, actor, "assigned")
    return locked


def problem_comment(*, actor, problem: Problem, body: str, internal: bool = False):
    """A comment or an internal work note on the problem's timeline."""
    require(actor, PROBLEM_WORKERS)
    refuse_final(problem)
    return record_comment(record=problem, actor=actor, body=body, internal=internal)


def problem_attach(*, actor, problem: Problem, upload):
    """Attach a file (size and type limits in settings) to the problem."""
    require(actor, PROBLEM_WORKERS)
    refuse_final(problem)
    return attachment_add(record=problem, actor=actor, upload=upload)
