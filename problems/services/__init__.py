"""Every write of problem management.

Each function takes a keyword-only `actor`, runs in one transaction, checks the actor's role
itself (browser, API, tasks and commands all call it), records history with the actor and a
reason, and refuses bad input with a ValidationError keyed by field before anything is written.

One module per part: `records` (log, change, assign, comment, attach), `states` (workflow steps
and what they do to linked incidents), `links` (incident links, problems from incidents, the
major-incident rule), `investigation` (problem tasks), `known_errors` (applying a workaround),
`trends` (trend detection and proposals), `settings` (root-cause categories) and `common`.
Callers import from `problems.services`.
"""

from .investigation import TASK_FIELDS, problem_task_create, problem_task_finish, problem_task_update
from .known_errors import known_error_apply
from .links import (
    major_incident_close_check,
    major_incident_waive_problem,
    problem_from_incidents,
    problem_link_incidents,
    problem_unlink_incident,
)
from .records import problem_assign, problem_attach, problem_comment, problem_create, problem_update
from .settings import root_cause_category_create, root_cause_category_update
from .states import problem_transition
from .trends import proposal_accept, proposal_dismiss, trend_detect

__all__ = [
    "TASK_FIELDS", "known_error_apply", "major_incident_close_check", "major_incident_waive_problem",
    "problem_assign", "problem_attach", "problem_comment", "problem_create", "problem_from_incidents",
    "problem_link_incidents", "problem_task_create", "problem_task_finish", "problem_task_update",
    "problem_transition", "problem_unlink_incident", "problem_update", "proposal_accept", "proposal_dismiss",
    "root_cause_category_create", "root_cause_category_update", "trend_detect",
]
