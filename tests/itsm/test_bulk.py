"""itsm.bulk writes without save(), hence without history: it refuses models that keep one.
And no module of the product calls QuerySet.update() on such a model (a machine check)."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model

from itsm.bulk import insert_rows, update_rows
from itsm.choices import OutboxStatus
from itsm.models import Customer, OutboxMessage
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("itsm", "config_items", "slas", "incidents", "problems", "changes", "releases", "audits")
# Demo set-up moves the instants of the rows it just wrote together with their history rows
# (incidents/demo.py says why; problems/demo.py and changes/demo.py do the same); nothing else may write a
# history-tracked model around save().
EXCEPTIONS = {"incidents/demo.py", "problems/demo.py", "changes/demo.py"}


def test_a_model_with_history_is_refused_and_nothing_is_written(agent):
    ticket = Ticket.objects.create(title="Printer", number="TKT0000001", created_by=agent, updated_by=agent)
    ticket.title = "Changed behind history's back"

    with pytest.raises(TypeError, match="keeps a history"):
        update_rows(Ticket, [ticket], ["title"])
    with pytest.raises(TypeError, match="keeps a history"):
        insert_rows(Customer, ("code", "name"), [("acme", "Acme")])

    ticket.refresh_from_db()
    assert ticket.title == "Printer"
    assert not Customer.objects.filter(code="acme").exists()


def test_a_model_without_history_is_written():
    message = OutboxMessage.objects.create(topic="email", payload={}, next_attempt_at=timezone.now())
    message.status = OutboxStatus.DELIVERED

    update_rows(OutboxMessage, [message], ["status"])

    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


def _history_tracked_model_names() -> set[str]:
    names = set()
    for model in apps.get_models():
        try:
            get_history_manager_for_model(model)
        except NotHistoricalModelError:
            continue
        names.add(model.__name__)
    return names


def _updates_of(tree, tracked):
    """(line, model) of each `<Model>.objects....update(...)` call on a tracked model."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            chain = node.func.value
            while isinstance(chain, ast.Call | ast.Attribute):
                chain = chain.func if isinstance(chain, ast.Call) else chain.value
                if (isinstance(chain, ast.Attribute) and chain.attr == "objects" and isinstance(chain.value, ast.Name)
                        and chain.value.id in tracked):
                    yield node.lineno, chain.value.id
                    break


def test_no_queryset_update_on_a_history_tracked_model():
    tracked = _history_tracked_model_names()
    assert {"Incident", "Customer", "Agreement"} <= tracked  # the check looks for the right names

    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in EXCEPTIONS:
                continue
            for line, model in _updates_of(ast.parse(path.read_text(), relative), tracked):
                found.append(f"{relative}:{line} {model}.objects...update()")

    assert found == [], "QuerySet.update() writes no history; save through the service instead"
