"""Kernel writes: customers, teams, user preferences and API tokens.

Every function takes a keyword-only `actor`, runs in one transaction and checks its own
permission, so views, API, commands and tasks share the same rules.
"""

import secrets
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Role
from .exceptions import NotPermitted
from .models import ApiToken, Customer, Team, User
from .permissions import ADMIN_ROLES, permitted, require
from .records import check_version, save_with_history, versioned_save
from .tokens import TOKEN_PREFIX, digest
from .validation import apply_fields

CUSTOMER_FIELDS = ("code", "name", "email", "is_active")
TEAM_FIELDS = ("name", "email", "description", "lead", "on_duty_manager", "is_active")


@transaction.atomic
def customer_create(*, actor, data: dict) -> Customer:
    """Create a customer. Side effects: history row."""
    require(actor, ADMIN_ROLES)
    customer = Customer()
    apply_fields(customer, data, CUSTOMER_FIELDS)
    customer.full_clean()
    save_with_history(customer, actor=actor, reason="created")
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: dict, expected_version: int | None = None) -> Customer:
    """Change a customer's fields. Side effects: history row. Raises StaleRecord."""
    require(actor, ADMIN_ROLES)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    check_version(customer, expected_version)
    apply_fields(customer, data, CUSTOMER_FIELDS)
    versioned_save(customer, actor=actor, reason="updated")
    return customer


def _validate_team(team: Team, members) -> None:
    if team.lead_id and members is not None and team.lead not in members:
        raise ValidationError({"lead": _("The lead must be a member of the team.")})


@transaction.atomic
def team_create(*, actor, data: dict, members=None) -> Team:
    """Create a team with its members (the lead is always a member). Side effects: history."""
    require(actor, ADMIN_ROLES)
    team = Team()
    apply_fields(team, data, TEAM_FIELDS)
    members = _with_lead(team, members or [])
    team.full_clean()
    save_with_history(team, actor=actor, reason="created")
    team.members.set(members)
    return team


@transaction.atomic
def team_update(*, actor, team: Team, data: dict, members=None, expected_version: int | None = None) -> Team:
    """Change a team's fields and, if given, its members. Side effects: history row."""
    require(actor, ADMIN_ROLES)
    team = Team.objects.select_for_update().get(pk=team.pk)
    check_version(team, expected_version)
    apply_fields(team, data, TEAM_FIELDS)
    if members is not None:
        members = _with_lead(team, members)
        team.members.set(members)
    elif team.lead_id and not team.members.filter(pk=team.lead_id).exists():
        team.members.add(team.lead)
    versioned_save(team, actor=actor, reason="updated")
    return team


def _with_lead(team: Team, members) -> list:
    members = list(members)
    if team.lead_id and team.lead not in members:
        members.append(team.lead)
    return members


@transaction.atomic
def user_preferences_update(*, actor, user: User, language: str, time_zone: str) -> User:
    """A user sets their own language and time zone. Side effects: history row."""
    if actor.pk != user.pk:
        raise NotPermitted()
    user = User.objects.select_for_update().get(pk=user.pk)
    user.language, user.time_zone = language, time_zone
    user.full_clean(exclude=["password"])
    save_with_history(user, actor=actor, reason="preferences")
    return user


@transaction.atomic
def token_create(*, actor, user: User, name: str, days: int | None, read_only: bool) -> tuple[ApiToken, str]:
    """Create an API token for `user`; return it with its secret, which is never stored.

    People create their own tokens; administrators may create them for others (integrations).
    `days=None` means no expiry, which only administrators may choose.
    """
    if actor.pk != user.pk:
        require(actor, ADMIN_ROLES)
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name that says what uses it.")})
    if days is None and not permitted(actor, ADMIN_ROLES):
        raise ValidationError({"days": _("Only administrators may create tokens that never expire.")})
    if days is not None and not 1 <= days <= 3650:
        raise ValidationError({"days": _("A token lasts between 1 and 3650 days.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), key_prefix=secret[:12], key_digest=digest(secret), read_only=read_only,
        expires_at=_token_expiry(user, days),
    )
    return token, secret


def _token_expiry(user: User, days: int | None):
    """A token never outlives its account's access (a time-boxed auditor's tokens end with it)."""
    expires_at = timezone.now() + timedelta(days=days) if days is not None else None
    if user.access_expires_at is not None and (expires_at is None or expires_at > user.access_expires_at):
        return user.access_expires_at
    return expires_at


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once. Its owner or an administrator may do it."""
    if actor.pk != token.user_id:
        require(actor, ADMIN_ROLES)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


SYSTEM_USERNAME = "system"


def system_actor() -> User:
    """The actor of changes made by scheduled tasks and commands without a person behind them.

    It cannot sign in (inactive, unusable password) and tokens of inactive users are refused.
    Migration 0003 creates it; this recreates it after a database flush.
    """
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "System", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=Role.ADMINISTRATOR)[0])
    return user
