"""Historical import: incidents from the tool used before, with their original dates and states.

Each row goes through `services.incident_import_one` (same validation, a history row whose
reason says who imported it from where, a journal entry). A bad row is reported with its line
number and reasons. With `atomic` (the default) nothing is written if any row is refused; with
`dry_run` nothing is written and every row is checked as if it were. The whole import is one
transaction (each row a savepoint in it), so a dry run sees exactly what a real run would.

Columns (CSV header or JSON keys): external_id (required: the number in the old tool),
short_description, description, caller (a username, else taken as the contact name),
contact_name, contact_email, contact_phone, customer (code), service (CI number), cis (CI
numbers separated by ";", or a JSON list), category and subcategory (names), impact, urgency,
priority (numbers; priority defaults to the matrix), channel, state, on_hold_reason,
assignment_group (team name), assignee (username), resolution_code, resolution_notes,
opened_at (required), first_response_at, resolved_at, closed_at, updated_at (ISO 8601; without
an offset, the server's time zone), is_major (true/false), major_reason.
"""

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from config_items.models import ConfigurationItem
from itsm.exceptions import DomainError, NotPermitted, messages_of
from itsm.inputs import refuse_bad_line, refuse_bad_text, to_utc
from itsm.models import Customer, Team
from itsm.permissions import require

from . import services
from .models import Category

COLUMNS = (
    "external_id", "short_description", "description", "caller", "contact_name", "contact_email",
    "contact_phone", "customer", "service", "cis", "category", "subcategory", "impact", "urgency", "priority",
    "channel", "state", "on_hold_reason", "assignment_group", "assignee", "resolution_code",
    "resolution_notes", "opened_at", "first_response_at", "resolved_at", "closed_at", "updated_at",
    "is_major", "major_reason",
)
REQUIRED_COLUMNS = ("external_id", "short_description", "opened_at")
PLAIN_FIELDS = ("external_id", "short_description", "description", "contact_name", "contact_email",
                "contact_phone", "channel", "state", "on_hold_reason", "resolution_code", "resolution_notes",
                "major_reason")
INSTANTS = ("opened_at", "first_response_at", "resolved_at", "closed_at", "updated_at")
NUMBERS = ("impact", "urgency", "priority")


@dataclass
class ImportedRow:
    line: int
    external_id: str
    number: str


@dataclass
class RowError:
    line: int
    external_id: str
    errors: list[str]

    def __str__(self) -> str:
        return _("Line %(line)s: %(errors)s") % {"line": self.line, "errors": "; ".join(self.errors)}


@dataclass
class ImportResult:
    dry_run: bool = False
    atomic: bool = True
    created: list[ImportedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False  # whether the created incidents are in the database

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run, "written": self.written,
            "created": [{"line": r.line, "external_id": r.external_id, "number": r.number} for r in self.created],
            "errors": [{"line": e.line, "external_id": e.external_id, "errors": e.errors} for e in self.errors],
        }


# --- reading files --------------------------------------------------------------------------------

def rows_from_csv(file) -> tuple[list[dict], list[int]]:
    """The rows of a CSV file and the line each starts on; refuses a wrong header (line 1)."""
    reader = csv.DictReader(file)
    header = [name.strip().lstrip("\ufeff") for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    refuse_bad_line(1, header)
    _check_columns(header, _("Line 1 (header)"))
    rows, lines = [], []
    for row in reader:
        refuse_bad_line(reader.line_num, [*row.values(), *(row.get(None) or ())])
        lines.append(reader.line_num)
        if None in row:
            rows.append({None: row[None]})
            continue
        rows.append({k: (v or "").strip() for k, v in row.items()})
    return rows, lines


def rows_from_json(text: str) -> tuple[list[dict], list[int]]:
    """The rows of a JSON list of objects; row n (from 1) is reported as line n."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError({"file": _("The file is not valid JSON: %(error)s") % {"error": exc}}) from None
    return rows_from_list(data)


def rows_from_list(data) -> tuple[list[dict], list[int]]:
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ValidationError({"file": _("Send a list of objects, one per incident.")})
    for number, row in enumerate(data, start=1):
        refuse_bad_text(row, f"line {number}")
    return data, list(range(1, len(data) + 1))


def _check_columns(names, where: str) -> None:
    unknown = [n for n in names if n not in COLUMNS]
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if unknown or missing or not names:
        problems = []
        if unknown:
            problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
        if missing:
            problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
        raise ValidationError({"file": "%s: %s." % (where, "; ".join(problems) or _("the file is empty"))})


# --- turning a row into service input -------------------------------------------------------------

class _Lookups:
    """Users, teams, customers, categories and CIs named in the rows, each loaded once."""

    def __init__(self, rows: list[dict]):
        def named(column):
            return {str(row.get(column)).strip() for row in rows if row.get(column)}

        ci_numbers = named("service")
        for row in rows:
            ci_numbers |= set(_split(row.get("cis")))
        user_model = get_user_model()
        usernames = named("caller") | named("assignee")
        self.users = {u.username: u for u in user_model.objects.filter(username__in=usernames)}
        self.teams = {t.name: t for t in Team.objects.filter(name__in=named("assignment_group"))}
        self.customers = {c.code: c for c in Customer.objects.filter(code__in=named("customer"))}
        self.cis = {ci.number: ci for ci in ConfigurationItem.objects.filter(number__in=ci_numbers)
                    .select_related("ci_type")}
        self.categories = {(c.parent.name if c.parent_id else None, c.name): c
                           for c in Category.objects.select_related("parent")}


def _split(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _instant(value) -> datetime:
    parsed = parse_datetime(str(value).strip())
    if parsed is None:
        raise ValueError
    try:
        return to_utc(timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed)
    except (ValidationError, OverflowError) as exc:
        raise ValueError from exc


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def service_input(row: dict, lookups: _Lookups) -> dict:
    """The row as `incident_import_one` data; a ValidationError naming every bad cell."""
    unknown = [str(k) for k in row if k not in COLUMNS]
    if None in row:
        raise ValidationError(_("The row has more cells than the header."))
    if unknown:
        raise ValidationError(_("Unknown columns: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    errors, data = {}, {}
    for name in PLAIN_FIELDS:
        if _text(row.get(name)):
            data[name] = _text(row.get(name))
    for name in INSTANTS:
        if _text(row.get(name)):
            try:
                data[name] = _instant(row[name])
            except ValueError:
                errors[name] = _("“%(value)s” is not a date and time (ISO 8601).") % {"value": row[name]}
    for name in NUMBERS:
        if _text(row.get(name)):
            try:
                data[name] = int(_text(row[name]).upper().lstrip("P"))
            except ValueError:
                errors[name] = _("“%(value)s” is not a number.") % {"value": row[name]}
    caller = _text(row.get("caller"))
    if caller in lookups.users:
        data["caller"] = lookups.users[caller]
    elif caller and not data.get("contact_name"):
        data["contact_name"] = caller  # someone outside: named by the contact fields
    _one(row, "assignee", lookups.users, data, errors, _("Unknown user “%(value)s”."))
    _one(row, "assignment_group", lookups.teams, data, errors, _("Unknown team “%(value)s”."))
    _one(row, "customer", lookups.customers, data, errors, _("Unknown customer “%(value)s”."))
    _one(row, "service", lookups.cis, data, errors, _("Unknown CI “%(value)s”."))
    numbers = _split(row.get("cis"))
    missing = [n for n in numbers if n not in lookups.cis]
    if missing:
        errors["cis"] = _("Unknown CIs: %(numbers)s.") % {"numbers": ", ".join(missing)}
    elif numbers:
        data["cis"] = [lookups.cis[n] for n in numbers]
    category, subcategory = _text(row.get("category")), _text(row.get("subcategory"))
    if category:
        data["category"] = lookups.categories.get((None, category))
        if data["category"] is None:
            errors["category"] = _("Unknown category “%(value)s”.") % {"value": category}
    if subcategory:
        data["subcategory"] = lookups.categories.get((category or None, subcategory))
        if data["subcategory"] is None:
            errors["subcategory"] = _("Unknown subcategory “%(value)s” of “%(category)s”.") % {
                "value": subcategory, "category": category}
    is_major = _text(row.get("is_major")).lower()
    if is_major:
        if is_major not in ("true", "false", "1", "0", "yes", "no"):
            errors["is_major"] = _("Write true or false.")
        data["is_major"] = is_major in ("true", "1", "yes")
    if errors:
        raise ValidationError(errors)
    return data


def _one(row, column, known: dict, data: dict, errors: dict, message: str) -> None:
    value = _text(row.get(column))
    if not value:
        return
    if value in known:
        data[column] = known[value]
    else:
        errors[column] = message % {"value": value}


# --- the import -------------------------------------------------------------------------------------

def import_incidents(*, actor, rows: list[dict], dry_run: bool = False, atomic: bool = True,
                     source: str = "import", lines: list[int] | None = None) -> ImportResult:
    """Import `rows` (see the module docstring); `lines` are their line numbers in the file
    (default: 1, 2, ...). Raises NotPermitted unless the actor is an administrator."""
    require(actor, services.IMPORTERS)
    lines = lines or list(range(1, len(rows) + 1))
    result = ImportResult(dry_run=dry_run, atomic=atomic)
    lookups = _Lookups([row for row in rows if None not in row])
    with transaction.atomic():
        for line, row in zip(lines, rows, strict=True):
            external_id = _text(row.get("external_id")) if None not in row else ""
            try:
                data = service_input(row, lookups)
                incident = services.incident_import_one(actor=actor, data=data, source=source)
            except (ValidationError, DomainError) as exc:
                if isinstance(exc, NotPermitted):
                    raise
                result.errors.append(RowError(line, external_id, messages_of(exc)))
            else:
                result.created.append(ImportedRow(line, external_id, incident.number))
        keep = not dry_run and not (atomic and result.errors)
        if not keep:
            transaction.set_rollback(True)
        result.written = keep and bool(result.created)
    return result
