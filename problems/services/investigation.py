"""Investigation tasks of a problem: each on the problem's timeline; a problem with open tasks
cannot be resolved (problems.workflow.no_open_tasks)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import may, require
from itsm.records import versioned_save
from itsm.validation import refuse_unknown

from ..choices import TaskState
from ..models import Problem, ProblemTask
from ..workflow import PROBLEM_WORKERS
from .common import refuse_final

TASK_FIELDS = ("short_description", "description", "assignee", "due_date")


def _check_assignee(task: ProblemTask) -> None:
    if task.assignee_id and not may(task.assignee, PROBLEM_WORKERS):
        raise ValidationError({"assignee": _("%(user)s does not work problems.") % {"user": task.assignee}})


def _journal(task: ProblemTask, actor, body: str, what: str) -> None:
    journal_add(record=task.problem, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=body,
                data={"task": task.pk, "what": what})


@transaction.atomic
def problem_task_create(*, actor, problem: Problem, data: dict) -> ProblemTask:
    """Add an investigation task (event `problem.task_assigned` when someone is named)."""
    require(actor, PROBLEM_WORKERS)
    refuse_unknown(data, TASK_FIELDS)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    refuse_final(problem)
    task = ProblemTask(problem=problem, created_by=actor, **data)
    _check_assignee(task)
    task.full_clean(exclude=["problem", "created_by", "assignee"])
    task.save()
    _journal(task, actor, _("Task added: %(task)s") % {"task": task.short_description}, "created")
    if task.assignee_id:
        emit("problem.task_assigned", record=problem, actor=actor, payload={"task": task.pk,
                                                                            "assignee": task.assignee_id})
    return task


@transaction.atomic
def problem_task_update(*, actor, task: ProblemTask, data: dict, expected_version: int | None = None) -> ProblemTask:
    """Change an open task's text, assignee or due date. Raises StaleRecord."""
    require(actor, PROBLEM_WORKERS)
    refuse_unknown(data, TASK_FIELDS)
    locked = ProblemTask.objects.select_for_update().select_related("problem").get(pk=task.pk)
    refuse_final(locked.problem)
    _refuse_closed_task(locked)
    before = locked.assignee_id
    for name, value in data.items():
        setattr(locked, name, value)
    _check_assignee(locked)
    versioned_save(locked, actor=actor, reason="task updated", expected_version=expected_version)
    if locked.assignee_id and locked.assignee_id != before:
        emit("problem.task_assigned", record=locked.problem, actor=actor,
             payload={"task": locked.pk, "assignee": locked.assignee_id})
    return locked


@transaction.atomic
def problem_task_finish(*, actor, task: ProblemTask, outcome: str, cancelled: bool = False,
                        expected_version: int | None = None) -> ProblemTask:
    """Complete a task with its outcome (required), or cancel it with a reason."""
    require(actor, PROBLEM_WORKERS)
    locked = ProblemTask.objects.select_for_update().select_related("problem").get(pk=task.pk)
    refuse_final(locked.problem)
    _refuse_closed_task(locked)
    if not (outcome or "").strip():
        raise ValidationError({"outcome": _("Say what the task found (or why it is cancelled).")})
    locked.state = TaskState.CANCELLED if cancelled else TaskState.DONE
    locked.outcome, locked.completed_at = outcome.strip(), timezone.now()
    versioned_save(locked, actor=actor, reason="task cancelled" if cancelled else "task done",
                   expected_version=expected_version)
    body = _("Task cancelled: %(task)s — %(outcome)s") if cancelled else _("Task done: %(task)s — %(outcome)s")
    _journal(locked, actor, body % {"task": locked.short_description, "outcome": locked.outcome}, locked.state)
    return locked


def _refuse_closed_task(task: ProblemTask) -> None:
    if task.state != TaskState.OPEN:
        raise ValidationError(_("This task is %(state)s and can no longer be changed.") % {
            "state": task.get_state_display()})
