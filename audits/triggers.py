"""The triggers that make the trail's tables append-only in the database itself, for every
database user including the application's (migration 0002). PostgreSQL refuses UPDATE,
DELETE and TRUNCATE; SQLite UPDATE and DELETE (it has no TRUNCATE). Kept here, not in the
migration, because `flush` lifts them for its own transaction too (`lifted`)."""

from contextlib import contextmanager

TABLES = ("audits_auditentry", "audits_auditseal", "audits_auditanchor")
MESSAGE = "the audit trail is append-only"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audits_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$;
"""


def create_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        statements = [POSTGRES_FUNCTION]
        for table in TABLES:
            statements += [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audits_refuse_change()",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audits_refuse_change()",
            ]
        return statements
    if vendor == "sqlite":
        return [f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                for table in TABLES for verb in ("UPDATE", "DELETE")]
    return []


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
                for table in TABLES for name in ("append_only", "no_truncate")] + [
            "DROP FUNCTION IF EXISTS audits_refuse_change()"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for table in TABLES for verb in ("update", "delete")]
    return []


def run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def lifted(connection):
    """The triggers off for the block, inside the caller's transaction (a rollback restores
    them, a commit recreates them)."""
    run(connection, drop_statements(connection.vendor))
    try:
        yield
    finally:
        run(connection, create_statements(connection.vendor))
