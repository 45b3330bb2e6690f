"""Helpers for the trail's tests: entries as the product writes them, and tampering as a rogue
database administrator would (the triggers dropped, raw SQL, the triggers put back)."""

from django.db import connection

from audits.models import AuditEntry
from audits.triggers import create_statements, drop_statements, run
from itsm.audit_sources import AuditFact, record_audit


def make_entries(count: int, action: str = "journal") -> list[AuditEntry]:
    for n in range(count):
        record_audit(AuditFact(action, label=f"fact {n}", changes={"n": n}))
    return list(AuditEntry.objects.order_by("-id")[:count])[::-1]


def tamper(sql: str, params=()) -> None:
    """Run `sql` with the append-only triggers dropped, then put them back."""
    run(connection, drop_statements(connection.vendor))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        run(connection, create_statements(connection.vendor))
