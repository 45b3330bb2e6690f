"""CSV export of a list page: every row of the current filter, streamed.

A list declares its columns once; `csv_response` writes them for any number of rows without
holding them in memory. Cells are neutralised against spreadsheet formula injection.
"""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit_sources import AuditFact, record_audit

# A spreadsheet evaluates a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Column:
    """One column: its header, and the attribute path ("lead.email") or function giving a row's value."""

    header: str
    value: str | Callable[[Any], Any]

    def read(self, row) -> Any:
        if callable(self.value):
            return self.value(row)
        for name in self.value.split("."):
            row = getattr(row, name, None) if row is not None else None
        return row


def neutralise(text: str) -> str:
    """Make text that a spreadsheet would run as a formula start with an apostrophe instead."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


class _CellFormatter:
    """Turns values into cell text; labels and time zone are read once, before streaming starts."""

    def __init__(self):
        self.yes, self.no = _("Yes"), _("No")
        self.zone = timezone.get_current_timezone()

    def __call__(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, datetime):
            return timezone.localtime(value, self.zone).isoformat(timespec="seconds")
        if isinstance(value, int | float):
            return str(value)
        return neutralise(str(value))


class _Echo:
    """csv.writer writes into this and gets the line back, so lines can be yielded one by one."""

    def write(self, line: str) -> str:
        return line


def csv_response(rows: Iterable, columns: list[Column], filename: str) -> StreamingHttpResponse:
    """Stream `rows` (a queryset is iterated in chunks) as an attachment named `filename`."""
    headers = [str(column.header) for column in columns]
    cell = _CellFormatter()
    if hasattr(rows, "iterator"):
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    writer = csv.writer(_Echo())

    def lines():
        # A byte order mark, so spreadsheet programs read UTF-8 (Chinese names) correctly.
        yield "\ufeff" + writer.writerow(headers)
        for row in rows:
            yield writer.writerow([cell(column.read(row)) for column in columns])

    # Exports are evidence too: each one goes on the audit trail (who, when, which list).
    record_audit(AuditFact("export_made", label=filename))
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
