"""Every write of incident management.

Each function takes a keyword-only `actor`, runs in one transaction, checks the actor's role
itself (the browser, the portal, the API, tasks and commands all call it), records history
with the actor and a reason, and refuses bad input with a ValidationError keyed by field
before anything is written. Events are recorded in the same transaction; notifications
leave through the outbox (incidents.notifications).

One module per part: `records` (log, change, assign, comment, attach), `states` (workflow
steps, first response, closing resolved incidents), `majors` (major incidents and their
communications), `alerts` (monitoring alerts), `bulk` (the queue's bulk actions), `settings`
(priority matrix, categories, saved filters), `imports` (historical import), and `common`
(what they share: fields, rules, the assignment journal, the SLA clocks). Callers import from
`incidents.services`, which re-exports them (the assignment rules' services too, from
incidents.assignment). A test that replaces a function patches it on the module that calls it
(`incidents.services.alerts.incident_create`).
"""

from ..assignment import apply_default_group, assignment_rule_create, assignment_rule_update
from .alerts import AlertOutcome, incident_report_alert
from .bulk import BulkResult, incidents_bulk
from .common import CREATE_FIELDS, EDITABLE_FIELDS, PORTAL_FIELDS, RETIRABLE_FIELDS, is_worker, require_worker_or_caller
from .imports import IMPORT_FIELDS, IMPORTERS, incident_import_one
from .majors import incident_communicate, incident_demote_major, incident_promote_major
from .records import (
    incident_assign,
    incident_assign_to_me,
    incident_attach,
    incident_comment,
    incident_create,
    incident_update,
)
from .settings import (
    category_create,
    category_update,
    priority_for,
    priority_matrix_update,
    saved_filter_create,
    saved_filter_delete,
)
from .states import AUTO_CLOSE_BATCH, close_resolved_incidents, incident_transition

__all__ = [
    "AUTO_CLOSE_BATCH", "CREATE_FIELDS", "EDITABLE_FIELDS", "IMPORTERS", "IMPORT_FIELDS", "PORTAL_FIELDS",
    "RETIRABLE_FIELDS", "AlertOutcome", "BulkResult", "apply_default_group", "assignment_rule_create",
    "assignment_rule_update", "category_create", "category_update", "close_resolved_incidents", "incident_assign",
    "incident_assign_to_me", "incident_attach", "incident_comment", "incident_communicate", "incident_create",
    "incident_demote_major", "incident_import_one", "incident_promote_major", "incident_report_alert",
    "incident_transition", "incident_update", "incidents_bulk", "is_worker", "priority_for",
    "priority_matrix_update", "require_worker_or_caller", "saved_filter_create", "saved_filter_delete",
]
