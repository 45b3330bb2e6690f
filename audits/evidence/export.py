"""What a bundle holds, as a plan of parts: for each record type in scope its records, their
history, journal and attachments (and the type's own files: SLA inputs), the SLA monthly
reports of the period, and the audit-trail segment of the period with its anchors.

Every part is a QuerySet read with `values().iterator(chunk_size=CHUNK)` (no model instances,
flat memory) and, when it can be, counted first so the task can show its progress. The parts of
a record type reach its records by subquery (`object_id IN (SELECT id ...)`), never by a list of
ids held in Python.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Min, Q, Subquery

from itsm import evidence
from itsm.approval_models import ApprovalDecision, ApprovalGroup, ApprovalRequest
from itsm.evidence import Period, Scope
from itsm.models import Attachment, JournalEntry
from slas.models import Agreement
from slas.reports import monthly_report

from ..chain import content
from ..models import AuditAnchor, AuditSeal

CHUNK = 2000


@dataclass
class Part:
    name: str
    rows: Callable[[], Iterable[dict]]
    count: Callable[[], int] | None = None
    whole: bool = False  # one JSON document (a report), not JSON lines


def _values(queryset) -> Iterator[dict]:
    return queryset.values().iterator(chunk_size=CHUNK)


def _part(name: str, queryset) -> Part:
    return Part(name, lambda: _values(queryset), queryset.count)


def record_parts(source: evidence.EvidenceSource, period: Period, scope: Scope) -> Iterator[Part]:
    records = source.records(period, scope)
    model = records.model
    ids = Subquery(records.order_by().values("pk"))
    content_type = ContentType.objects.get_for_model(model)
    yield _part(f"{source.key}/records.jsonl", records)
    history = getattr(model, "history", None)
    if history is not None:
        pk = model._meta.pk.attname
        yield _part(f"{source.key}/history.jsonl",
                    history.model.objects.filter(**{f"{pk}__in": ids}).order_by(pk, "history_id"))
    yield _part(f"{source.key}/journal.jsonl",
                JournalEntry.objects.filter(content_type=content_type, object_id__in=ids).order_by("object_id", "id"))
    yield _part(f"{source.key}/attachments.jsonl", attachments(content_type, ids).values(
        "id", "object_id", "filename", "mime_type", "size", "sha256", "uploaded_by_id", "uploaded_at"))
    yield from approval_parts(source.key, content_type, ids)
    for name, rows in (source.files(period, scope) if source.files else ()):
        yield Part(f"{source.key}/{name}", lambda rows=rows: rows)


def approval_parts(key: str, content_type, ids) -> Iterator[Part]:
    """The records' approvals (itsm.approvals): requests, their approver groups with who could
    decide, and every decision with who, when, as which group and why."""
    requests = ApprovalRequest.objects.filter(content_type=content_type, object_id__in=ids).order_by("object_id", "id")
    groups = ApprovalGroup.objects.filter(request__in=Subquery(requests.values("pk"))).order_by("request_id", "id")
    yield _part(f"{key}/approvals.jsonl", requests)
    yield Part(f"{key}/approval_groups.jsonl", lambda: _groups_with_members(groups), groups.count)
    yield _part(f"{key}/approval_decisions.jsonl",
                ApprovalDecision.objects.filter(group__in=Subquery(groups.values("pk"))).order_by("group_id", "id"))


def _groups_with_members(groups) -> Iterator[dict]:
    members = ApprovalGroup.members.through.objects.filter(approvalgroup_id__in=Subquery(groups.values("pk")))
    by_group: dict[int, list[int]] = {}
    for group_id, user_id in members.values_list("approvalgroup_id", "user_id").iterator(chunk_size=CHUNK):
        by_group.setdefault(group_id, []).append(user_id)
    for row in _values(groups):
        yield {**row, "approvers": sorted(by_group.get(row["id"], []))}


def attachments(content_type, ids):
    return Attachment.objects.filter(content_type=content_type, object_id__in=ids).order_by("object_id", "id")


def months(period: Period) -> list[str]:
    """The calendar months that lie wholly in the period (a monthly report of a month still
    running, or cut by the period, would not be the report as produced)."""
    start = period.start.date()
    first = date(start.year, start.month, 1)
    if first < start:
        first = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    found = []
    while True:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        if following > period.end.date():
            return found
        found.append(f"{first:%Y-%m}")
        first = following


def sla_report_parts(period: Period, scope: Scope) -> Iterator[Part]:
    """Each agreement's SLA monthly report (slas.reports.monthly_report) for every month of the
    period: a handful of figures each, small enough to write whole."""
    agreements = Agreement.objects.order_by("pk")
    if scope.customers:
        agreements = agreements.filter(Q(customer_id__in=scope.customers) | Q(customer__isnull=True))
    if scope.services:
        agreements = agreements.filter(services__in=scope.services).distinct()
    for agreement in agreements.iterator(chunk_size=100):
        for month in months(period):
            yield Part(f"reports/sla-monthly-{agreement.pk}-{month}.json",
                       lambda agreement=agreement, month=month: monthly_report(agreement, month), whole=True)


def trail_range(period: Period) -> tuple[int, int] | None:
    """The contiguous run of sealed entries from the first to the last that occurred in the
    period (entries sealed in between belong to the chain and are kept, so it verifies)."""
    bounds = AuditSeal.objects.filter(entry__occurred_at__gte=period.start, entry__occurred_at__lt=period.end) \
        .aggregate(first=Min("seq"), last=Max("seq"))
    if bounds["first"] is None:
        return None
    return bounds["first"], bounds["last"]


def trail_parts(period: Period) -> tuple[list[Part], dict]:
    span = trail_range(period)
    if span is None:
        return [], {"first_seq": None, "last_seq": None}
    seals = AuditSeal.objects.filter(seq__gte=span[0], seq__lte=span[1]).select_related("entry").order_by("seq")

    def lines():
        for seal in seals.iterator(chunk_size=CHUNK):
            yield {"seq": seal.seq, "entry": content(seal.entry, seal.seq), "prev_hash": seal.prev_hash,
                   "hash": seal.hash}

    anchors = AuditAnchor.objects.filter(seq__gte=span[0], seq__lte=span[1]).order_by("seq", "id")
    return ([Part("trail/entries.jsonl", lines, seals.count),
             Part("trail/anchors.jsonl", lambda: (a.as_dict() for a in anchors.iterator()))],
            {"first_seq": span[0], "last_seq": span[1]})
