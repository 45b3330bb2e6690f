"""Who an escalation's notify action reaches, by relation to the record (one query each).

Subjects call `recipients(kind, ...)` from their `act` with what they know of the record; a
named manager (notify_manager) is the action's own `user`. Every answer is a list of distinct
active people: one step of a timer notifies each person once (the subject keeps the set across
the step's actions).
"""

from django.contrib.auth import get_user_model

from config_items.models import ConfigurationItem
from itsm.models import Team

from .choices import ActionKind

NOTIFY_KINDS = (ActionKind.NOTIFY_ASSIGNEE, ActionKind.NOTIFY_GROUP_LEAD, ActionKind.NOTIFY_MANAGER,
                ActionKind.NOTIFY_TEAM_LEAD, ActionKind.NOTIFY_SERVICE_OWNER, ActionKind.NOTIFY_ON_DUTY,
                ActionKind.NOTIFY_CI_OWNERS)


def recipients(action: dict, *, assignee=None, group: Team | None = None, service=None, ci_ids=()) -> list:
    """The people `action` (a notify action of a target's escalations) reaches for a record with
    this assignee, assignment group, service (a CI) and affected CIs."""
    kind, users = action["kind"], get_user_model().objects.filter(is_active=True)
    if kind == ActionKind.NOTIFY_ASSIGNEE:
        found = [assignee] if assignee is not None else []
    elif kind == ActionKind.NOTIFY_GROUP_LEAD:
        found = [group.lead] if group is not None and group.lead_id else []
    elif kind == ActionKind.NOTIFY_MANAGER:
        found = list(users.filter(pk=action.get("user")))
    elif kind == ActionKind.NOTIFY_TEAM_LEAD:
        # The leads of the assignee's own teams (their line), not the assignee themself.
        found = list(users.filter(led_teams__members=assignee, led_teams__is_active=True).exclude(pk=assignee.pk)
                     .distinct()) if assignee is not None else []
    elif kind == ActionKind.NOTIFY_SERVICE_OWNER:
        found = [service.service_owner] if service is not None and service.service_owner_id else []
    elif kind == ActionKind.NOTIFY_ON_DUTY:
        found = [group.on_duty_manager] if group is not None and group.on_duty_manager_id else []
    elif kind == ActionKind.NOTIFY_CI_OWNERS:
        # A CI is owned by a team: its lead answers for it.
        found = list(users.filter(led_teams__in=Team.objects.filter(
            pk__in=_owner_teams(ci_ids), is_active=True)).distinct()) if ci_ids else []
    else:
        found = []
    return _distinct_active(found)


def _owner_teams(ci_ids):
    return ConfigurationItem.objects.filter(pk__in=list(ci_ids), owner_team__isnull=False).values("owner_team")


def _distinct_active(people) -> list:
    seen, result = set(), []
    for person in people:
        if person is not None and person.is_active and person.pk not in seen:
            seen.add(person.pk)
            result.append(person)
    return result
