"""CSV import of CIs and relationships, row by row through the services.

Every row goes through the same service as a form or an API call (same validation, history,
events). A bad row is rejected with its line number and reasons while good rows go in; with
`atomic` nothing goes in if any row is rejected; with `dry_run` nothing is written and every
row is reported as it would be. The whole file runs in one transaction (each service call is
a savepoint inside it), which is what makes dry runs exact and keeps large imports fast.

CI columns: number (update by number), source + external_id (upsert key), name, type (CI type
code), status, environment, owner_team (team name), customers (customer codes separated by
";"), description, and "attr:<name>" per attribute. Relationship columns: source, type,
target, where a CI is named by its number or as "<source>:<external id>".
"""

import csv
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from itsm.exceptions import DomainError, messages_of
from itsm.inputs import refuse_bad_line
from itsm.models import Customer, Team
from itsm.permissions import require

from . import services
from .choices import CIStatus
from .models import CIType, ConfigurationItem, Relationship, RelationshipType
from .workflow import CMDB_WRITERS

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
ATTRIBUTE_PREFIX = "attr:"
CI_COLUMNS = {"number", "source", "external_id", "name", "type", "status", "environment", "owner_team",
              "customers", "description"}
RELATIONSHIP_COLUMNS = {"source", "type", "target"}
# Existing CIs are loaded in batches of this many keys (SQL parameter limits).
LOOKUP_BATCH = 500


@dataclass
class RowResult:
    line: int
    action: str
    number: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    dry_run: bool = False
    atomic: bool = False
    written: bool = False  # whether the rows reported as created/updated are in the database

    def _count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self._count(CREATED)

    @property
    def updated(self) -> int:
        return self._count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(UNCHANGED)

    @property
    def rejected(self) -> int:
        return self._count(REJECTED)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run, "atomic": self.atomic, "written": self.written,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "rejected": self.rejected,
            "rows": [{"line": r.line, "action": r.action, "number": r.number, "errors": r.errors} for r in self.rows],
        }


def _read(file, known: set[str], required: set[str], *, allow_attributes: bool) -> list[tuple[int, dict]]:
    """(line number, row) of every data row; refuses a file whose header is wrong."""
    reader = csv.DictReader(file)
    header = [name.strip().lstrip("\ufeff") for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    unknown = [n for n in header if n not in known and not (allow_attributes and n.startswith(ATTRIBUTE_PREFIX))]
    missing = sorted(required - set(header))
    if not header or unknown or missing:
        problems = []
        if unknown:
            problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
        if missing:
            problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
        raise ValidationError({"file": _("Line 1 (header): %(problems)s.") % {
            "problems": "; ".join(problems) or _("the file is empty")}})
    refuse_bad_line(1, header)
    rows = []
    for row in reader:
        refuse_bad_line(reader.line_num, [*row.values(), *row.get(None, ())])
        if None in row:
            rows.append((reader.line_num, {None: row[None]}))
            continue
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows



def _finish(report: ImportReport) -> None:
    """Inside the import's transaction: keep what was written, or roll all of it back."""
    keep = not report.dry_run and not (report.atomic and report.rejected)
    if not keep:
        transaction.set_rollback(True)
    report.written = keep and bool(report.created or report.updated)


# --- CIs ---------------------------------------------------------------------------------------

class _CILookups:
    """Types, teams and customers loaded once per file; existing CIs loaded in batches."""

    def __init__(self, rows):
        self.types = {t.slug: t for t in CIType.objects.all()}
        self.teams = {t.name: t for t in Team.objects.all()}
        self.customers = {c.code: c for c in Customer.objects.all()}
        numbers = {row["number"] for _, row in rows if row.get("number")}
        keys = {(row["source"], row["external_id"]) for _, row in rows
                if row.get("external_id") and not row.get("number")}
        self.by_number = _existing(numbers, "number")
        self.by_key = {(ci.source, ci.external_id): ci for ci in _existing({k[1] for k in keys}, "external_id").values()
                       if (ci.source, ci.external_id) in keys}

    def remember(self, ci: ConfigurationItem) -> None:
        self.by_number[ci.number] = ci
        if ci.external_id:
            self.by_key[(ci.source, ci.external_id)] = ci

    def ci_type(self, slug: str) -> CIType:
        try:
            return self.types[slug]
        except KeyError:
            raise ValidationError({"type": _("Unknown CI type “%(type)s”.") % {"type": slug}}) from None

    def team(self, name: str) -> Team | None:
        if not name:
            return None
        try:
            return self.teams[name]
        except KeyError:
            raise ValidationError({"owner_team": _("Unknown team “%(team)s”.") % {"team": name}}) from None

    def customer_list(self, codes: str) -> list[Customer]:
        wanted = [code.strip() for code in codes.split(";") if code.strip()]
        unknown = [code for code in wanted if code not in self.customers]
        if unknown:
            raise ValidationError({"customers": _("Unknown customers: %(codes)s.") % {"codes": ", ".join(unknown)}})
        return [self.customers[code] for code in wanted]


def _existing(values: set[str], field_name: str) -> dict:
    found = {}
    values = sorted(values)
    for start in range(0, len(values), LOOKUP_BATCH):
        batch = values[start:start + LOOKUP_BATCH]
        for ci in ConfigurationItem.objects.filter(**{f"{field_name}__in": batch}).select_related("ci_type"):
            found[getattr(ci, field_name)] = ci
    return found


def import_cis(*, actor, file, dry_run: bool = False, atomic: bool = False) -> ImportReport:
    """Create or update the CIs of a CSV file (see the module docstring for the columns).

    Rows about existing CIs go one by one through `ci_update`; new CIs are gathered and created
    in batches through `ci_create_many` (same rules, far fewer statements), which is what lets
    an import of 10^4 rows finish in seconds.
    """
    require(actor, CMDB_WRITERS)  # once for the file, rather than a refusal on every row
    rows = _read(file, CI_COLUMNS, {"name", "type"}, allow_attributes=True)
    lookups = _CILookups(rows)
    report = ImportReport(dry_run=dry_run, atomic=atomic)
    with transaction.atomic():
        batch = _NewCIBatch(actor, lookups)
        for line, row in rows:
            result = RowResult(line, REJECTED, row.get("number", "") if None not in row else "")
            report.rows.append(result)
            if None in row:
                result.errors = [_("The row has more cells than the header.")]
                continue
            try:
                if batch.holds(row):  # a second row about a CI still waiting in the batch
                    batch.flush()
                existing = _existing_for(row, lookups)
                data = _ci_data(row, lookups, existing)
                if existing is None:
                    batch.add(result, data)
                else:
                    result.action, result.number = _update(actor, existing, data, lookups)
            except (ValidationError, DomainError, LookupError) as exc:
                result.action, result.errors = REJECTED, messages_of(exc)
        batch.flush()
        _finish(report)
    return report


def _update(actor, existing: ConfigurationItem, data: dict, lookups) -> tuple[str, str]:
    before = existing.version
    ci = services.ci_update(actor=actor, ci=existing, data=data, reason="imported")
    lookups.remember(ci)  # a later row about the same CI starts from this state
    return (UPDATED if ci.version != before else UNCHANGED), ci.number


class _NewCIBatch:
    """New CIs waiting to be created together; each row's result is filled in at `flush`."""

    SIZE = 500

    def __init__(self, actor, lookups):
        self.actor, self.lookups = actor, lookups
        self.waiting: list[tuple[RowResult, dict]] = []
        self.keys: set[tuple[str, str]] = set()

    def holds(self, row: dict) -> bool:
        return bool(row.get("external_id")) and (row.get("source", ""), row["external_id"]) in self.keys

    def add(self, result: RowResult, data: dict) -> None:
        self.waiting.append((result, data))
        if data.get("external_id"):
            self.keys.add((data.get("source", ""), data["external_id"]))
        if len(self.waiting) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        items = [data for _, data in self.waiting]
        try:
            with transaction.atomic():
                outcomes = services.ci_create_many(actor=self.actor, items=items, reason="imported")
        except IntegrityError:  # another writer took one of the keys meanwhile: row by row
            outcomes = [self._create_one(data) for data in items]
        for (result, _data), outcome in zip(self.waiting, outcomes, strict=True):
            if isinstance(outcome, Exception):
                result.action, result.errors = REJECTED, messages_of(outcome)
            else:
                result.action, result.number = CREATED, outcome.number
                self.lookups.remember(outcome)
        self.waiting, self.keys = [], set()

    def _create_one(self, data: dict):
        try:
            if data.get("external_id"):
                rest = {k: v for k, v in data.items() if k not in ("source", "external_id")}
                return services.ci_upsert(actor=self.actor, source=data.get("source", ""),
                                          external_id=data["external_id"], data=rest, reason="imported")[0]
            return services.ci_create(actor=self.actor, data=data, reason="imported")
        except (ValidationError, DomainError) as exc:
            return exc


def _existing_for(row: dict, lookups: _CILookups) -> ConfigurationItem | None:
    if row.get("number"):
        try:
            return lookups.by_number[row["number"]]
        except KeyError:
            raise ValidationError({"number": _("There is no CI %(number)s.") % {"number": row["number"]}}) from None
    if row.get("external_id"):
        return lookups.by_key.get((row.get("source", ""), row["external_id"]))
    return None


def _ci_data(row: dict, lookups: _CILookups, existing: ConfigurationItem | None) -> dict:
    """The service input of one row: only the columns the file has; blank cells clear."""
    data = {}
    for name in ("name", "environment", "description"):
        if name in row:
            data[name] = row[name]
    if "environment" in data and not data["environment"]:
        del data["environment"]  # blank: the default (production) for new CIs, unchanged otherwise
    for name in ("source", "external_id"):
        if name in row:
            data[name] = row[name]
    ci_type = lookups.ci_type(row["type"]) if row.get("type") else (existing.ci_type if existing else None)
    if row.get("type"):
        data["ci_type"] = ci_type
    if row.get("status"):
        if row["status"] not in CIStatus.values:
            raise ValidationError({"status": _("Unknown status “%(status)s”; use one of %(choices)s.") % {
                "status": row["status"], "choices": ", ".join(CIStatus.values)}})
        data["status"] = row["status"]
    if "owner_team" in row:
        data["owner_team"] = lookups.team(row["owner_team"])
    if "customers" in row:
        data["customers"] = lookups.customer_list(row["customers"])
    attribute_cells = {k[len(ATTRIBUTE_PREFIX):]: v for k, v in row.items() if k.startswith(ATTRIBUTE_PREFIX)}
    if attribute_cells or existing is None:
        data["attributes"] = _attributes(attribute_cells, existing)
    return data


def _attributes(cells: dict, existing: ConfigurationItem | None) -> dict:
    # Filled cells set a value, blank cells clear it; attributes without a column are kept,
    # so a file with only some attribute columns does not erase the others.
    attributes = dict(existing.attributes) if existing is not None else {}
    for name, value in cells.items():
        if value:
            attributes[name] = value
        else:
            attributes.pop(name, None)
    return attributes


# --- relationships -----------------------------------------------------------------------------

class _RelationshipLookups:
    def __init__(self, rows):
        self.types = {t.slug: t for t in RelationshipType.objects.all()}
        refs = {row.get(end, "") for _, row in rows for end in ("source", "target")}
        numbers = {ref for ref in refs if ref and ":" not in ref}
        keys = {tuple(ref.split(":", 1)) for ref in refs if ":" in ref}
        self.by_number = _existing(numbers, "number")
        self.by_key = {(ci.source, ci.external_id): ci for ci in _existing({k[1] for k in keys}, "external_id").values()}
        self.existing = self._links_among([ci.pk for ci in [*self.by_number.values(), *self.by_key.values()]])

    @staticmethod
    def _links_among(ids: list[int]) -> set[tuple[int, int, int]]:
        found = set()
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[start:start + LOOKUP_BATCH]
            found |= set(Relationship.objects.filter(source_id__in=batch).values_list("source_id", "target_id", "type_id"))
        return found

    def ci(self, end: str, ref: str) -> ConfigurationItem:
        found = self.by_key.get(tuple(ref.split(":", 1))) if ":" in ref else self.by_number.get(ref)
        if found is None:
            raise ValidationError({end: _("There is no CI “%(ref)s”.") % {"ref": ref}})
        return found

    def type(self, slug: str) -> RelationshipType:
        try:
            return self.types[slug]
        except KeyError:
            raise ValidationError({"type": _("Unknown relationship type “%(type)s”.") % {"type": slug}}) from None


def import_relationships(*, actor, file, dry_run: bool = False, atomic: bool = False) -> ImportReport:
    """Create the relationships of a CSV file; a relationship that exists already is "unchanged".

    Links are created in batches through `relationship_create_many` (same rules as one by one).
    """
    require(actor, CMDB_WRITERS)
    rows = _read(file, RELATIONSHIP_COLUMNS, RELATIONSHIP_COLUMNS, allow_attributes=False)
    lookups = _RelationshipLookups(rows)
    report = ImportReport(dry_run=dry_run, atomic=atomic)
    with transaction.atomic():
        batch = _NewLinkBatch(actor)
        for line, row in rows:
            result = RowResult(line, REJECTED)
            report.rows.append(result)
            if None in row:
                result.errors = [_("The row has more cells than the header.")]
                continue
            try:
                source, target = lookups.ci("source", row["source"]), lookups.ci("target", row["target"])
                kind = lookups.type(row["type"])
            except ValidationError as exc:
                result.errors = messages_of(exc)
                continue
            result.number = f"{source.number} {kind.slug} {target.number}"
            if (source.pk, target.pk, kind.pk) in lookups.existing:
                result.action = UNCHANGED
            else:
                lookups.existing.add((source.pk, target.pk, kind.pk))  # a repeated row is unchanged
                batch.add(result, (source, target, kind))
        batch.flush()
        _finish(report)
    return report


class _NewLinkBatch:
    SIZE = 500

    def __init__(self, actor):
        self.actor = actor
        self.waiting: list[tuple[RowResult, tuple]] = []

    def add(self, result: RowResult, link: tuple) -> None:
        self.waiting.append((result, link))
        if len(self.waiting) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        links = [link for _, link in self.waiting]
        try:
            with transaction.atomic():
                outcomes = services.relationship_create_many(actor=self.actor, links=links, reason="imported")
        except IntegrityError:  # another writer added one of these links meanwhile: one by one
            outcomes = [self._create_one(*link) for link in links]
        for (result, _link), outcome in zip(self.waiting, outcomes, strict=True):
            if isinstance(outcome, Exception):
                result.action, result.errors = REJECTED, messages_of(outcome)
            else:
                result.action = CREATED
        self.waiting = []

    def _create_one(self, source, target, kind):
        try:
            return services.relationship_create(actor=self.actor, source=source, target=target, type=kind,
                                                reason="imported")
        except (ValidationError, DomainError) as exc:
            return exc
