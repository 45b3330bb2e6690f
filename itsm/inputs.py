"""Input rules every path into the product shares (API bodies and filters, page filters, imports,
searches), so that malformed input is a 400 with a message, never a server error:

- **Instants** (`InstantField`, `itsm.filtersets.InstantFilter`): a UTC offset beyond ±15:59
  (PostgreSQL refuses it) or an instant that leaves the representable range once converted to
  UTC (`0001-01-01T00:00+01:00`) is refused; the value is handed on in UTC.
- **Text** (`text_problems`, `refuse_bad_text`): NUL characters (PostgreSQL text and jsonb cannot
  hold them) and lone surrogates (not encodable as UTF-8) are refused in every string of a parsed
  body, keys included, at any depth; `search_text` removes them from a search query instead.
- **Nesting**: a JSON body nested deeper than `MAX_JSON_DEPTH` is refused (`itsm.api.parsers`).
"""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField

MAX_OFFSET = dt.timedelta(hours=15, minutes=59)
MAX_ROW_ID = 2**63 - 1  # the largest id (or number) a database integer column holds
MAX_JSON_DEPTH = 64
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware instant in UTC, or a ValidationError for one PostgreSQL or Python cannot hold."""
    if value is None or value.tzinfo is None:
        return value
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValidationError(_("The UTC offset must be between -15:59 and +15:59."), code="offset")
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationError(_("The instant is out of range."), code="overflow") from None


class InstantField(IsoDateTimeField):
    """An ISO 8601 instant (a naive one is read in the current time zone), given on in UTC.

    The one date-time field of filters and forms: Django's and django-filter's accept offsets
    up to ±23:59 and instants next to the ends of the calendar, which the database (or the
    conversion to UTC) then fails on with a server error."""

    default_error_messages = {"invalid": gettext_lazy("Enter a valid date and time (ISO 8601).")}

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return to_utc(parsed)


class IdField(forms.IntegerField):
    """A whole number a database integer column can be compared with (an id, a priority): a
    larger one made SQLite raise OverflowError; a fraction matched nothing. Both are refused."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ROW_ID)
        super().__init__(*args, **kwargs)


def is_row_id(text) -> bool:
    """Whether `text` is the decimal digits of a possible row id (e.g. a chosen option's value)."""
    text = str(text)
    return text.isascii() and text.isdigit() and int(text) <= MAX_ROW_ID


def text_problems(data, path: str = "") -> dict[str, list[str]]:
    """Messages per dotted path for each string (or key) of `data` holding a NUL character or
    a lone surrogate, walking dicts and lists at any depth."""
    found: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, str):
            match = _BAD_TEXT.search(value)
            if match:
                found.setdefault(prefix or "non_field_errors", []).append(
                    _("Null characters are not allowed.") if match.group() == "\x00"
                    else _("Surrogate characters are not allowed: U+%(code)X.") % {"code": ord(match.group())})
        elif isinstance(value, dict):
            for key, sub in value.items():
                name = f"{prefix}.{key}" if prefix else str(key)
                if isinstance(key, str) and _BAD_TEXT.search(key):
                    name = f"{prefix}.{search_text(key)}" if prefix else search_text(key)
                    found.setdefault(name or "non_field_errors", []).append(
                        _("Field names may not hold null or surrogate characters."))
                walk(name, sub)
        elif isinstance(value, list | tuple):
            for index, sub in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), sub)

    walk(path, data)
    return found


def refuse_bad_text(data, path: str = "") -> None:
    """Raise a ValidationError (keyed by dotted path) if any string of `data` holds a NUL
    character or a lone surrogate."""
    problems = text_problems(data, path)
    if problems:
        raise ValidationError(problems)


def search_text(value: str) -> str:
    """A search query without the characters no stored text can hold (NUL, lone surrogates):
    searching for them finds nothing rather than failing."""
    return _BAD_TEXT.sub("", value)


def has_bad_text(value: str) -> bool:
    return bool(_BAD_TEXT.search(value))



def refuse_bad_line(line: int, cells, field: str = "file") -> None:
    """For file readers (CSV imports): refuse the file at the first line holding a NUL
    character or a lone surrogate in a cell (the database could not store it)."""
    if any(isinstance(cell, str) and has_bad_text(cell) for cell in cells):
        raise ValidationError({field: _("Line %(line)s: null characters and lone surrogates are not allowed.")
                               % {"line": line}})
