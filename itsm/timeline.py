"""A record page's timeline: its journal entries (as the reader may see them) and its field
history, merged, newest first. The incident and problem pages show it through
`templates/itsm/includes/timeline_items.html`."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from .choices import JournalKind
from .history import history_rows
from .journal import journal_for

TIMELINE_ENTRIES = 200
HISTORY_ROWS = 100


def kind_colour(kind: str) -> str:
    try:
        return JournalKind(kind).colour
    except (ValueError, KeyError):
        return "secondary"


def plain_entry(entry) -> tuple[str, str, str]:
    """(kind, badge colour, label) of a journal entry: its journal kind."""
    return entry.kind, kind_colour(entry.kind), entry.get_kind_display()


def record_timeline(record, user, *, states: dict, hidden_fields=(), describe: Callable = plain_entry,
                    entries: int = TIMELINE_ENTRIES, history: int = HISTORY_ROWS) -> list[dict]:
    """The newest `entries` journal entries and `history` field changes of `record`, merged.
    `states` names the record's states (for state-change entries); `describe(entry)` gives an
    entry's (kind, colour, label) where a record type has kinds of its own (communications)."""
    items = []
    for entry in journal_for(record, user).order_by("-created_at", "-id")[:entries]:
        data = entry.data or {}
        changed = entry.kind == JournalKind.STATE_CHANGE
        kind, colour, label = describe(entry)
        items.append({
            "type": "journal", "kind": kind, "entry": entry, "when": entry.created_at, "who": entry.author,
            "colour": colour, "label": label,
            "state_from": states.get(data.get("from")) if changed else None,
            "state_to": states.get(data.get("to")) if changed else None,
        })
    for row in history_rows(record, hidden_fields=hidden_fields, limit=history):
        if row["changes"]:
            items.append({"type": "history", "kind": "history", "when": row["record"].history_date,
                          "who": row["record"].history_user, "colour": "muted", "label": _("Fields changed"),
                          "row": row})
    items.sort(key=lambda item: item["when"], reverse=True)
    return items
