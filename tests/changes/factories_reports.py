"""Change report test data (the reports slice's factories): changes raised through the
services, then placed in the past.

The services stamp "now"; the reports are about a quarter of the past, so the instants (and the
states the other slices' services would reach) are set on the rows afterwards (test data only,
no history needed). Conflicts and unauthorised changes are rows of their own slices' services,
written here directly."""

from datetime import UTC, date, datetime

from changes import reports
from changes.models import Change, ChangeConflict, UnauthorisedChange
from itsm.approval_models import ApprovalRequest
from itsm.approvals import Approvers, approval_decide, approval_request
from tests.changes.factories import make_change

# Monday 5 January to Sunday 29 March 2026: twelve whole weeks, three months.
START, END = date(2026, 1, 5), date(2026, 3, 29)
QUERY = "?start=2026-01-05&end=2026-03-29&interval=month"
MONTHS = reports.Scope(reports.Period(START, END), interval=reports.MONTH)
WEEKS = reports.Scope(reports.Period(START, END), interval=reports.WEEK)


def at(month, day, hour=12, year=2026):
    return datetime(year, month, day, hour, tzinfo=UTC)


def stamp(change, **fields):
    Change.objects.filter(pk=change.pk).update(**fields)
    change.refresh_from_db()
    return change


def finished(actor, code, closed, **data):
    """A change closed with `code` at `closed` (cancelled ones: in state cancelled)."""
    state = "cancelled" if code == "cancelled" else "closed"
    return stamp(make_change(actor, **data), state=state, close_code=code, closed_at=closed,
                 opened_at=closed.replace(day=1))


def raised(actor, opened, model="normal", risk="", **data):
    return stamp(make_change(actor, **data), opened_at=opened, change_model=model, risk=risk)


def implemented(actor, started, model="normal", **data):
    return stamp(make_change(actor, **data), change_model=model, state="review", close_code="successful",
                 actual_start=started, opened_at=started.replace(day=1))


def authorisation(change, approver, *, requested, completed, outcome="approve", purpose=reports.AUTHORISATION):
    """An authorisation asked of `approver` and decided by them, at the given instants."""
    request = approval_request(actor=change.requester, record=change, purpose=purpose,
                               groups=[Approvers("CAB", users=(approver,))], excluded=[change.requester])
    approval_decide(actor=approver, group=request.groups.get(), outcome=outcome)
    ApprovalRequest.objects.filter(pk=request.pk).update(requested_at=requested, completed_at=completed)
    return request


_history_ids = iter(range(1, 10**6))


def unauthorised(ci, detected, state="open", **fields):
    resolved = {} if state == "open" else {"resolved_at": detected, "reason": "Emergency fix"}
    return UnauthorisedChange.objects.create(ci=ci, history_id=next(_history_ids), changed_at=detected,
                                             detected_at=detected, state=state, fields={"name": ["a", "b"]},
                                             **resolved, **fields)


def conflict(change, kind, *, overridden=None, by=None, reason="", other=None, detail="Overlaps"):
    return ChangeConflict.objects.create(change=change, kind=kind, key=f"{kind}:{other.pk if other else 0}",
                                         other_change=other, detail=detail, needs_override=True,
                                         detected_at=overridden or at(1, 6), overridden_at=overridden,
                                         overridden_by=by, override_reason=reason)
