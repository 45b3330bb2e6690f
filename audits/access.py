"""Time-boxed access for external auditors: an administrator grants an auditor's account that
works through a date and is refused after it — at sign-in, for any open session and for every
API token (the kernel's checks: itsm.backends, itsm.api.authentication; tokens never outlive
the account: itsm.services.token_create)."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit_sources import AuditFact
from itsm.choices import Role
from itsm.models import User
from itsm.permissions import ADMIN_ROLES, require

from .writer import write

MAX_DAYS = 366  # an engagement, not a standing account


def expiry_instant(last_day: date) -> datetime:
    """The account works through `last_day` (the administrator's time zone) and not after."""
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def _check_day(last_day) -> None:
    today = timezone.localdate()
    if last_day is None or last_day < today:
        raise ValidationError({"expires_on": _("Give a last day of access from today on.")})
    if last_day > today + timedelta(days=MAX_DAYS):
        raise ValidationError({"expires_on": _("Access lasts at most a year; extend it later if needed.")})


@transaction.atomic
def auditor_grant(*, actor, username: str, email: str, password: str, expires_on: date,
                  first_name: str = "", last_name: str = "") -> User:
    """Create an external auditor's account (role auditor: reads everything, changes nothing)
    that expires after `expires_on`. Side effects: the user (with history), its role, a trail
    entry `auditor_access_granted`."""
    require(actor, ADMIN_ROLES)
    _check_day(expires_on)
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Give the auditor a username.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = User(username=username, email=(email or "").strip(), first_name=first_name.strip(),
                last_name=last_name.strip(), access_expires_at=expiry_instant(expires_on))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user._change_reason = "auditor access granted"
    user.save()
    user.groups.add(Group.objects.get(name=Role.AUDITOR))
    write(AuditFact("auditor_access_granted", record=user, actor=actor,
                    changes={"expires_at": user.access_expires_at.isoformat()}))
    return user


@transaction.atomic
def auditor_access_change(*, actor, user: User, expires_on: date | None) -> User:
    """Move an external auditor's last day (`None`: end access now). Side effects: the user's
    expiry (with history), a trail entry `auditor_access_changed`."""
    require(actor, ADMIN_ROLES)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.access_expires_at is None:
        raise ValidationError({"expires_on": _("This account has no time-boxed access.")})
    if expires_on is None:
        user.access_expires_at = timezone.now()
    else:
        _check_day(expires_on)
        user.access_expires_at = expiry_instant(expires_on)
    user._change_reason = "auditor access changed"
    user.save(update_fields=["access_expires_at"])
    write(AuditFact("auditor_access_changed", record=user, actor=actor,
                    changes={"expires_at": user.access_expires_at.isoformat()}))
    return user


def external_auditors(user):
    """The accounts with time-boxed access, for administrators."""
    if not user.has_role(*ADMIN_ROLES):
        return User.objects.none()
    return User.objects.filter(access_expires_at__isnull=False).order_by("-access_expires_at", "username")
