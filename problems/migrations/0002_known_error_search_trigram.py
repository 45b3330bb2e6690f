"""Trigram indexes for searching problems and the known-error database by a part of their text,
on PostgreSQL.

The problem list's and the KEDB's search boxes and the global search filter with
`<column>__icontains`, which Django writes as `UPPER(<column>::text) LIKE UPPER('%text%')`: a GIN
index with pg_trgm's operator class on that very expression serves each arm of the search
(problems.selectors.problem_search, problems.known_errors.known_error_search). SQLite has no such
index and searches by scanning, which suits its sizes. pg_trgm itself is installed by
incidents.0006_search_trigram (created here again if missing: it is harmless).

Built CONCURRENTLY (so not in a transaction), as incidents' own: migrations run while the old
release still serves requests.
"""

from django.db import migrations

COLUMNS = ("short_description", "symptom", "root_cause", "workaround")
INDEXES = {column: f"prb_{column}_trgm" for column in COLUMNS}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column, index in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON problems_problem "
                              f"USING gin (UPPER({column}::text) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in INDEXES.values():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("problems", "0001_initial"), ("incidents", "0006_search_trigram")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
