"""Unauthorised change detection (ISO/IEC 20000-1 8.5.1 evidence): every CI change in the CMDB's
history that no change covered becomes an exception (UnauthorisedChange) until a change manager
links it to a change retrospectively or accepts it with a reason.

What counts. CIs: updates ("~") and deletions ("-") of a CI that was live or in maintenance
before or after the write (a CI being planned or built is not yet part of a service; its
creation "+" is not a change of a service either). Relationships: every link added or removed
between CIs of which one is live or in maintenance now (their status when the link changed is
not kept by the relationship's history). A write that changed nothing people see (only the
version) is not a change.

What covers a history row:
(a) its history reason names a change ("CHG0000012: …", `proposals.change_reason`) that applied
    a proposed CI change to that CI (to either end of a link) through `proposals_apply`;
(b) the CI (either end of a link) is an affected CI or service of a change in implementation at
    that instant: actual_start <= history_date <= actual_end (or no end yet);
(c) a discovery source marked exempt wrote it: the CI's `source` (config_items' ci_upsert keeps
    the discovery tool's name there) is an ExemptSource and the reason is one discovery and
    imports write ("discovered", "synchronised", "imported"): a person editing a discovered CI
    in the browser or the API ("updated") is not exempt. A link: either end's source.

Cost grows with the new history only: one DetectionCursor per history table remembers the last
history id read; each run reads on from it in batches of BATCH_SIZE rows, in a fixed number of
queries per batch (the rows with the id of each CI's previous row, the previous rows, their
customers, the applied proposals, the changes in implementation, the exempt sources, existing
exceptions, the insert). Rows younger than `settle` are left to the next run: a transaction
still open when the cursor passed its id would otherwise be skipped for ever.

Exceptions of links are stored with the negative history id (UnauthorisedChange.history_id is
unique across both tables, whose ids overlap) and name the link's source CI (the target when
the source is gone). A deleted CI's own rows cannot be kept (the exception's CI is a protected
foreign key): the CMDB has no deletion service, so only a database edit does that.
"""

import re
from datetime import timedelta

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from config_items.choices import CIStatus
from config_items.models import ConfigurationItem, Relationship, RelationshipType
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import ADMIN_ROLES, require
from itsm.records import save_with_history
from itsm.services import system_actor
from itsm.validation import refuse_unknown

from ..choices import ExceptionState
from ..models import Change, DetectionCursor, ExemptSource, ProposedCIChange, UnauthorisedChange
from ..workflow import CHANGE_MANAGERS

BATCH_SIZE = 2000
SETTLE = timedelta(minutes=2)
SERVICE_STATUSES = (CIStatus.LIVE, CIStatus.IN_MAINTENANCE)
DISCOVERY_REASONS = ("discovered", "synchronised", "imported")
CHANGE_IN_REASON = re.compile(r"^\s*(%s\d+)\b" % re.escape(Change.NUMBER_PREFIX))
# The fields of a CI a person sees change (not version, updated_* or the number).
CI_FIELDS = ("name", "ci_type_id", "status", "environment", "description", "owner_team_id", "source",
             "external_id", "service_owner_id", "hours_of_service", "catalogue_status")
HISTORY_FIELDS = ("history_id", "id", "history_type", "history_date", "history_user_id", "history_change_reason")
CI_CURSOR = "config_items.configurationitem"
LINK_CURSOR = "config_items.relationship"


def unauthorised_detect(*, batch_size: int = BATCH_SIZE, settle: timedelta = SETTLE, now=None) -> int:
    """Read the CMDB history written since the last run (CIs, then relationships) and record the
    CI changes nobody authorised. Safe to run twice at once (the cursor row is locked per batch).
    Returns how many exceptions were recorded."""
    cutoff = (now or timezone.now()) - settle
    found = 0
    for name, reader in ((CI_CURSOR, _ci_batch), (LINK_CURSOR, _link_batch)):
        while True:
            count, more = _run_batch(name, reader, batch_size, cutoff)
            found += count
            if not more:
                break
    return found


@transaction.atomic
def _run_batch(name: str, reader, batch_size: int, cutoff) -> tuple[int, bool]:
    if connection.vendor == "postgresql":
        # The planner prices a batch's previous-row lookups high enough to JIT-compile the query:
        # half a second of compiling for a query that runs in a third of one (bench/results.md).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    DetectionCursor.objects.get_or_create(name=name)
    cursor = DetectionCursor.objects.select_for_update().get(name=name)
    rows, more = reader(cursor.last_history_id, batch_size, cutoff)
    found = _store(rows["exceptions"]) if rows["read"] else 0
    if rows["read"]:
        cursor.last_history_id = rows["read"][-1]
    cursor.last_run_at = timezone.now()
    cursor.save()
    return found, more


def _settled(rows: list[dict], batch_size: int, cutoff) -> tuple[list[dict], bool]:
    """The rows up to the first one younger than `cutoff` (ids are handed out at the write, so
    a later id may commit first: stopping at the first young row keeps the cursor behind it)."""
    for index, row in enumerate(rows):
        if row["history_date"] > cutoff:
            return rows[:index], False
    return rows, len(rows) == batch_size


# --- CIs ---------------------------------------------------------------------------------------

def _ci_batch(after_id: int, batch_size: int, cutoff) -> tuple[dict, bool]:
    history = ConfigurationItem.history.model
    previous = (history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
                .order_by("-history_id").values("history_id")[:1])
    rows = list(history.objects.filter(history_id__gt=after_id).order_by("history_id")
                .annotate(previous_id=Subquery(previous))
                .values(*HISTORY_FIELDS, *CI_FIELDS, "attributes", "previous_id")[:batch_size])
    rows, more = _settled(rows, batch_size, cutoff)
    read = [row["history_id"] for row in rows]
    rows = [row for row in rows if row["history_type"] in ("~", "-")]
    before = {row["history_id"]: row for row in history.objects.filter(
        history_id__in=[r["previous_id"] for r in rows if r["previous_id"]]).values(
        "history_id", *CI_FIELDS, "attributes")}
    candidates = []
    for row in rows:
        old = before.get(row["previous_id"])
        if row["status"] in SERVICE_STATUSES or (old and old["status"] in SERVICE_STATUSES):
            candidates.append((row, old))
    candidates = _with_customer_changes(candidates)
    if any(row["history_type"] == "-" for row, _old in candidates):
        existing = set(ConfigurationItem.objects.filter(pk__in=[r["id"] for r, _o in candidates]).values_list(
            "pk", flat=True))
        candidates = [(r, o) for r, o in candidates if r["id"] in existing]
    changed = [(row, diff) for row, diff in ((row, _ci_diff(row, old)) for row, old in candidates) if diff]
    covered = _Coverage([row for row, _diff in changed], lambda row: (row["id"],),
                        sources=lambda row: (row["source"],))
    exceptions = [_exception(row, row["id"], row["history_id"], diff) for row, diff in changed
                  if not covered.covers(row)]
    return {"read": read, "exceptions": exceptions}, more


def _with_customer_changes(candidates: list) -> list:
    """Each (row, previous) with both rows' customer ids added (one query for the batch)."""
    customers_history = apps.get_model("config_items", "HistoricalConfigurationItem_customers")
    ids = [r["history_id"] for r, _o in candidates] + [o["history_id"] for _r, o in candidates if o]
    held: dict[int, list] = {}
    for history_id, customer_id in customers_history.objects.filter(history_id__in=ids).values_list(
            "history_id", "customer_id"):
        held.setdefault(history_id, []).append(customer_id)
    for row, old in candidates:
        row["customers"] = sorted(held.get(row["history_id"], []))
        if old is not None:
            old["customers"] = sorted(held.get(old["history_id"], []))
    return candidates


def _ci_diff(row: dict, old: dict | None) -> dict:
    """{field: [old, new]} of what the write changed; for a deletion, what the CI held."""
    if row["history_type"] == "-":
        return {"deleted": [row["name"], None]}
    old = old or {}
    diff = {name: [old.get(name), row[name]] for name in (*CI_FIELDS, "customers") if old.get(name) != row[name]}
    old_attributes, new_attributes = old.get("attributes") or {}, row["attributes"] or {}
    for key in sorted(set(old_attributes) | set(new_attributes)):
        if old_attributes.get(key) != new_attributes.get(key):
            diff[f"attributes.{key}"] = [old_attributes.get(key), new_attributes.get(key)]
    return diff


# --- relationships -----------------------------------------------------------------------------

def _link_batch(after_id: int, batch_size: int, cutoff) -> tuple[dict, bool]:
    history = Relationship.history.model
    rows = list(history.objects.filter(history_id__gt=after_id).order_by("history_id")
                .values(*HISTORY_FIELDS, "source_id", "target_id", "type_id")[:batch_size])
    rows, more = _settled(rows, batch_size, cutoff)
    read = [row["history_id"] for row in rows]
    rows = [row for row in rows if row["history_type"] in ("+", "-")]
    cis = {ci["pk"]: ci for ci in ConfigurationItem.objects.filter(
        pk__in={pk for row in rows for pk in (row["source_id"], row["target_id"])}).values(
        "pk", "number", "status", "source")}
    rows = [row for row in rows if any(cis.get(pk, {}).get("status") in SERVICE_STATUSES
                                       for pk in (row["source_id"], row["target_id"]))]
    labels = dict(RelationshipType.objects.filter(pk__in={row["type_id"] for row in rows}).values_list(
        "pk", "forward_label"))
    covered = _Coverage(rows, lambda row: (row["source_id"], row["target_id"]),
                        sources=lambda row: tuple(cis.get(pk, {}).get("source", "")
                                                  for pk in (row["source_id"], row["target_id"])))
    exceptions = []
    for row in rows:
        if covered.covers(row):
            continue
        text = " ".join((_number(cis, row["source_id"]), labels.get(row["type_id"], "?"),
                         _number(cis, row["target_id"])))
        diff = {"relationship": [None, text] if row["history_type"] == "+" else [text, None]}
        ci_id = row["source_id"] if row["source_id"] in cis else row["target_id"]
        exceptions.append(_exception(row, ci_id, -row["history_id"], diff))
    return {"read": read, "exceptions": exceptions}, more


def _number(cis: dict, pk: int) -> str:
    return cis[pk]["number"] if pk in cis else f"#{pk}"


# --- coverage ----------------------------------------------------------------------------------

class _Coverage:
    """What covers the rows of one batch, read in three queries: the proposals applied by the
    changes the reasons name, the changes in implementation on the rows' CIs, the exempt sources."""

    def __init__(self, rows: list[dict], cis_of, *, sources):
        self.cis_of, self.sources_of = cis_of, sources
        self.applied, self.windows, self.exempt = set(), {}, set()
        if not rows:
            return
        numbers = {self._number(row) for row in rows} - {None}
        if numbers:
            self.applied = set(ProposedCIChange.objects.filter(
                change__number__in=numbers, applied_at__isnull=False).values_list("change__number", "ci_id"))
        self.windows = _implementation_windows({pk for row in rows for pk in cis_of(row)},
                                               min(r["history_date"] for r in rows),
                                               max(r["history_date"] for r in rows))
        self.exempt = set(ExemptSource.objects.values_list("source", flat=True))

    @staticmethod
    def _number(row: dict) -> str | None:
        match = CHANGE_IN_REASON.match(row["history_change_reason"] or "")
        return match.group(1) if match else None

    def covers(self, row: dict) -> bool:
        cis, when, number = self.cis_of(row), row["history_date"], self._number(row)
        if number and any((number, pk) in self.applied for pk in cis):
            return True
        if any(start <= when and (end is None or when <= end) for pk in cis for start, end in self.windows.get(pk, ())):
            return True
        return (row["history_change_reason"] or "") in DISCOVERY_REASONS and any(
            source and source in self.exempt for source in self.sources_of(row))


def _implementation_windows(ci_ids: set, earliest, latest) -> dict:
    """{ci id: [(actual start, actual end or None)]} of the changes in implementation at some
    instant between `earliest` and `latest` that name the CI (as a CI or a service)."""
    windows: dict[int, list] = {}
    during = Q(change__actual_start__lte=latest) & (Q(change__actual_end__isnull=True)
                                                     | Q(change__actual_end__gte=earliest))
    for through in (Change.cis.through, Change.services.through):
        for ci_id, start, end in through.objects.filter(during, configurationitem_id__in=ci_ids).values_list(
                "configurationitem_id", "change__actual_start", "change__actual_end"):
            windows.setdefault(ci_id, []).append((start, end))
    return windows


def _exception(row: dict, ci_id: int, history_id: int, diff: dict) -> UnauthorisedChange:
    return UnauthorisedChange(ci_id=ci_id, history_id=history_id, changed_at=row["history_date"],
                              changed_by_id=row["history_user_id"], fields=_json(diff),
                              detected_at=timezone.now())


def _json(diff: dict) -> dict:
    return {key: [v if v is None or isinstance(v, (str, int, float, bool, list, dict)) else str(v) for v in pair]
            for key, pair in diff.items()}


def _store(exceptions: list) -> int:
    """Insert the batch's exceptions with their history rows, leaving out any already stored (a
    cursor set back by hand)."""
    if not exceptions:
        return 0
    known = set(UnauthorisedChange.objects.filter(history_id__in=[e.history_id for e in exceptions]).values_list(
        "history_id", flat=True))
    new = [e for e in exceptions if e.history_id not in known]
    if new:
        bulk_create_with_history(new, UnauthorisedChange, default_user=system_actor(),
                                 default_change_reason="detected")
    return len(new)


# --- resolving ---------------------------------------------------------------------------------

@transaction.atomic
def unauthorised_resolve(*, actor, exception: UnauthorisedChange, change: Change | None = None,
                         reason: str = "") -> UnauthorisedChange:
    """Resolve an open exception: link it to `change` (which must name the CI among its CIs or
    services; `reason` optional) or, without a change, accept it with a `reason`. Change managers
    only. Side effects: history, a journal entry on the CI (and on the change when linked)."""
    require(actor, CHANGE_MANAGERS)
    locked = UnauthorisedChange.objects.select_for_update(of=("self",)).select_related("ci").get(pk=exception.pk)
    reason = (reason or "").strip()
    if locked.state != ExceptionState.OPEN:
        raise ValidationError({"state": _("This exception was resolved already (%(state)s).") % {
            "state": locked.get_state_display()}})
    if change is not None:
        _refuse_unrelated_change(change, locked.ci)
        locked.state, locked.change = ExceptionState.LINKED, change
    elif not reason:
        raise ValidationError({"reason": _("Say why this CI change is accepted without a change, or link a change.")})
    else:
        locked.state = ExceptionState.ACCEPTED
    locked.reason, locked.resolved_at, locked.resolved_by = reason, timezone.now(), actor
    save_with_history(locked, actor=actor, reason=locked.state)
    _journal_resolution(locked, actor)
    return locked


def _refuse_unrelated_change(change: Change, ci: ConfigurationItem) -> None:
    if not (change.cis.filter(pk=ci.pk).exists() or change.services.filter(pk=ci.pk).exists()):
        raise ValidationError({"change": _("%(number)s does not name %(ci)s among its CIs.") % {
            "number": change.number, "ci": ci.number}})


def _journal_resolution(exception: UnauthorisedChange, actor) -> None:
    when = timezone.localtime(exception.changed_at).strftime("%Y-%m-%d %H:%M")
    fields = ", ".join(sorted(exception.fields))
    if exception.change_id:
        body = _("Unauthorised change of %(ci)s at %(when)s (%(fields)s) linked to %(number)s.") % {
            "ci": exception.ci.number, "when": when, "fields": fields, "number": exception.change.number}
        journal_add(record=exception.change, actor=actor, kind=JournalKind.SYSTEM, body=body,
                    data={"unauthorised_change": exception.pk, "action": "linked"})
    else:
        body = _("Unauthorised change of %(ci)s at %(when)s (%(fields)s) accepted: %(reason)s") % {
            "ci": exception.ci.number, "when": when, "fields": fields, "reason": exception.reason}
    journal_add(record=exception.ci, actor=actor, kind=JournalKind.SYSTEM, body=body,
                data={"unauthorised_change": exception.pk, "action": exception.state})
    emit("change.unauthorised_resolved", record=exception.ci, actor=actor,
         payload={"exception": exception.pk, "state": exception.state, "change": exception.change_id})


# --- exempt discovery sources (administrators) -------------------------------------------------

EXEMPT_FIELDS = ("source", "reason")


@transaction.atomic
def exempt_source_create(*, actor, data: dict) -> ExemptSource:
    """Mark a discovery source (the `source` its CIs carry) as exempt. Administrators only."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, EXEMPT_FIELDS)
    exempt = ExemptSource()
    _set_exempt(exempt, data)
    save_with_history(exempt, actor=actor, reason="created")
    return exempt


@transaction.atomic
def exempt_source_update(*, actor, exempt: ExemptSource, data: dict) -> ExemptSource:
    """Rename an exempt source or change why it is exempt (last write wins: a small admin list)."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, EXEMPT_FIELDS)
    exempt = ExemptSource.objects.select_for_update().get(pk=exempt.pk)
    _set_exempt(exempt, data)
    save_with_history(exempt, actor=actor, reason="updated")
    return exempt


@transaction.atomic
def exempt_source_delete(*, actor, exempt: ExemptSource) -> None:
    """Stop exempting a source (from the next history row detection reads)."""
    require(actor, ADMIN_ROLES)
    exempt = ExemptSource.objects.select_for_update().get(pk=exempt.pk)
    exempt._history_user, exempt._change_reason = actor, "deleted"
    exempt.delete()


def _set_exempt(exempt: ExemptSource, data: dict) -> None:
    for name in EXEMPT_FIELDS:
        if name in data:
            setattr(exempt, name, (data[name] or "").strip())
    errors = {}
    if not exempt.source:
        errors["source"] = _("Name the discovery source as its CIs carry it (their “source”).")
    if not exempt.reason:
        errors["reason"] = _("Say why this source's updates are not changes.")
    if errors:
        raise ValidationError(errors)
    exempt.full_clean()
