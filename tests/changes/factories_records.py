"""Helpers of the records slice's tests: changes brought to authorisation, approval and schedule
through the real services of the other slices (approvals, catalogue)."""

from changes.models import Change
from changes.services.catalogue import change_create_from_template
from itsm.choices import Role
from tests.changes.factories import move, window
from tests.changes.factories_approvals import approve, make_rule, under_authorisation
from tests.changes.factories_catalogue import make_template
from tests.factories import TeamFactory, UserFactory


def approver_for_everything():
    """A CAB member whom one approval rule ("Everyone") asks about every change."""
    approver = UserFactory(username="approver", roles=[Role.CAB_MEMBER])
    make_rule(UserFactory(username="rules-admin", roles=[Role.ADMINISTRATOR]), name="Everyone", users=[approver])
    return approver


def authorised(manager, requester, approver, **data) -> Change:
    """A normal change asked for authorisation and approved by `approver` (approver_for_everything)."""
    change = under_authorisation(manager, requester, **data)
    approve(approver, change, "Everyone")
    return Change.objects.get(pk=change.pk)


def scheduled(manager, requester, approver, when, **data) -> Change:
    return move(manager, authorised(manager, requester, approver, **data), "schedule", **when)


def standard_scheduled(manager, *, implementer, starts_in_hours: float = -0.5) -> Change:
    """A standard change from an approved template, scheduled (by default for a window that has begun)."""
    team = TeamFactory(members=[implementer])
    return change_create_from_template(actor=manager, template=make_template(), schedule=True, data={
        **window(hours_from_now=starts_in_hours, hours=3), "assignment_group": team, "implementer": implementer})
