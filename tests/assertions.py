"""Assertions shared by every app's tests.

`assert_nothing_written()` is for refusals (CONTRIBUTING.md: "for refusals assert that nothing
was written"): it snapshots every project table before the block and compares after it.

    with assert_nothing_written():
        response = api.post(url, bad_body, format="json")
    assert response.status_code == 400
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import connection

# Django's own app whose rows a write of ours may add (group memberships of users).
_ALSO = ("auth",)


def project_models() -> list:
    """Every model of the project's apps (ours, the test-only one, history and through tables)
    and of django.contrib.auth; not sessions, sign-in attempts or other libraries' rows."""
    base = Path(settings.BASE_DIR).resolve()
    venv = base / ".venv"
    chosen = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        ours = path.is_relative_to(base) and not path.is_relative_to(venv)
        if ours or config.label in _ALSO:
            chosen.extend(config.get_models(include_auto_created=True))
    return chosen


def _measures(model) -> dict:
    """SQL expressions over the model's table: what a write changes."""
    quote = connection.ops.quote_name
    fields = {f.name: f for f in model._meta.concrete_fields}
    pk = quote(model._meta.pk.column)
    measures = {"rows": "COUNT(*)", "last_id": f"MAX({pk})"}
    if "updated_at" in fields:
        measures["last_update"] = f"MAX({quote(fields['updated_at'].column)})"
    if "version" in fields:
        measures["versions"] = f"SUM({quote(fields['version'].column)})"
    return measures


def _snapshot(models) -> dict:
    """Every model's measures in one query (a UNION of one row per table)."""
    quote = connection.ops.quote_name
    parts, names = [], []
    for model in models:
        measures = _measures(model)
        names.append((model._meta.label, list(measures)))
        columns = ", ".join(f"CAST({sql} AS VARCHAR(64))" for sql in measures.values())
        padding = ", NULL" * (4 - len(measures))
        parts.append(f"SELECT {len(parts)}, {columns}{padding} FROM {quote(model._meta.db_table)}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    state = {label: dict(zip(keys, rows[i], strict=False)) for i, (label, keys) in enumerate(names)}
    state["after-commit callbacks"] = len(connection.run_on_commit)
    state["emails sent"] = len(getattr(mail, "outbox", []))
    return state


@contextmanager
def assert_nothing_written(*models) -> Iterator[None]:
    """Fail if the block added, removed or updated a row of any project table (or only of
    `models`, when given), queued an after-commit callback or sent an email.

    Rows: count, highest id, and for models that have them the latest `updated_at` and the sum
    of `version` (a save through a service moves both). History, journal, domain
    events and outbox messages are project tables, so any of them written counts."""
    chosen = list(models) or project_models()
    before = _snapshot(chosen)
    yield
    after = _snapshot(chosen)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, "written although refused:\n" + "\n".join(
        f"  {name}: {was} -> {now}" for name, (was, now) in changed.items())
