"""Helpers of the approvals and CAB tests: rules, boards, and changes brought to authorisation
through the real services."""

import itertools
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from changes.models import Change
from changes.selectors_approvals import pending_authorisation
from changes.services import cab
from changes.services.approval_rules import approval_rule_create
from changes.services.approvals import change_decide
from itsm.records import record_save
from itsm.services import system_actor
from tests.changes.factories import PLANS, make_change, move, window

_names = itertools.count(1)


def assessed(change: Change, risk: str = "moderate") -> Change:
    """The change with its risk set (the questionnaire is the catalogue slice's)."""
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        locked.risk, locked.risk_assessed_at = risk, timezone.now()
        record_save(locked, actor=system_actor(), reason="risk assessed (test)")
    return locked


def make_rule(admin, **data):
    data.setdefault("name", f"Approvers {next(_names)}")
    return approval_rule_create(actor=admin, data=data)


def make_board(admin, *, members, chair=None, **data):
    data.setdefault("name", f"CAB {next(_names)}")
    return cab.board_create(actor=admin, data={"members": members, "chair": chair, **data})


def under_authorisation(manager, requester, *, risk="moderate", **data) -> Change:
    """A normal change with plans and a window, assessed and asked for authorisation."""
    change = make_change(requester, **{**PLANS, **window(hours_from_now=24), **data})
    change = move(manager, change, "assess")
    change = assessed(change, risk)
    return move(manager, change, "request_authorisation")


def group_named(change: Change, name: str):
    return pending_authorisation(change).groups.get(name=name)


def approve(actor, change, name, comment=""):
    return change_decide(actor=actor, change=change, group=group_named(change, name), outcome="approve",
                         comment=comment)


def reject(actor, change, name, comment=""):
    return change_decide(actor=actor, change=change, group=group_named(change, name), outcome="reject",
                         comment=comment)


def a_week_from_now():
    return timezone.now() + timedelta(days=7)
