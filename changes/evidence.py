"""Changes in the auditors' evidence bundles (itsm.evidence): the changes opened in the period
(with their history, journal, attachments and approvals, joined by the exporter), plus the
control evidence of ISO/IEC 20000-1 8.5.1 that no single change holds: the CMDB changes nobody
authorised and how each was settled, the conflicts scheduled over with their reasons, and the
CAB's minuted decisions. A service scope keeps the changes affecting or impacting its services."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.evidence import EvidenceSource, in_period, register

from .models import CabAgendaItem, Change, ChangeConflict, UnauthorisedChange


def changes_of(period, scope):
    changes = in_period(Change.objects.order_by("pk"), "opened_at", period)
    if scope.services:
        changes = changes.filter(Q(services__in=scope.services) | Q(impacted_services__in=scope.services)).distinct()
    if scope.customers:
        changes = changes.filter(impacted_services__customers__in=scope.customers).distinct()
    return changes


def control_files(period, scope):
    yield "unauthorised_changes", _unauthorised(period)
    yield "conflict_overrides", _overrides(period)
    yield "cab_decisions", _cab_decisions(period)


def _unauthorised(period):
    rows = in_period(UnauthorisedChange.objects.order_by("pk"), "changed_at", period).values_list(
        "pk", "ci__number", "changed_at", "changed_by__username", "fields", "state", "change__number", "reason",
        "resolved_at", "resolved_by__username")
    for pk, ci, at, by, fields, state, change, reason, resolved_at, resolved_by in rows.iterator(chunk_size=500):
        yield {"id": pk, "ci": ci, "changed_at": at.isoformat(), "changed_by": by or "", "fields": fields,
               "state": state, "change": change or "", "reason": reason,
               "resolved_at": resolved_at.isoformat() if resolved_at else "", "resolved_by": resolved_by or ""}


def _overrides(period):
    rows = in_period(ChangeConflict.objects.order_by("pk"), "overridden_at", period).values_list(
        "change__number", "kind", "detail", "overridden_at", "overridden_by__username", "override_reason")
    for change, kind, detail, at, by, reason in rows.iterator(chunk_size=500):
        yield {"change": change, "kind": kind, "cause": detail, "overridden_at": at.isoformat(),
               "overridden_by": by or "", "reason": reason}


def _cab_decisions(period):
    rows = in_period(CabAgendaItem.objects.exclude(decision="").order_by("pk"), "decided_at", period).values_list(
        "meeting__board__name", "meeting__starts_at", "change__number", "decision", "notes", "decided_at",
        "decided_by__username")
    for board, meeting, change, decision, notes, at, by in rows.iterator(chunk_size=500):
        yield {"board": board, "meeting": meeting.isoformat(), "change": change, "decision": decision,
               "minutes": notes, "decided_at": at.isoformat(), "decided_by": by or ""}


register(EvidenceSource("changes", _("Changes"), records=changes_of, files=control_files, order=30))
