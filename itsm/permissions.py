"""Who may do what: role sets shared by browser views and API endpoints, and `require`, the one
check every service makes before it writes."""

from .choices import Role
from .exceptions import NotPermitted

ALL_ROLES = tuple(Role)
# Everyone who works in the service desk back office, including read-only auditors.
STAFF_ROLES = (Role.AGENT, Role.TEAM_LEAD, Role.PROBLEM_MANAGER, Role.CHANGE_MANAGER, Role.CAB_MEMBER,
               Role.AUDITOR, Role.ADMINISTRATOR)
ADMIN_ROLES = (Role.ADMINISTRATOR,)


# Set on the user object of a request authenticated by a read-only API token (see
# itsm.api.authentication): services see only the actor, not the request, and must refuse too.
READ_ONLY_TOKEN_FLAG = "acting_through_read_only_token"


def mark_read_only(user) -> None:
    """Make `user` (the object of this request only) act read-only, as a read-only token does."""
    setattr(user, READ_ONLY_TOKEN_FLAG, True)


def is_read_only(user) -> bool:
    """Auditors read everything and change nothing, whatever other role they hold; nor does
    anyone acting through a read-only API token."""
    return bool(user and user.is_authenticated
                and (getattr(user, READ_ONLY_TOKEN_FLAG, False) or Role.AUDITOR in user.role_names))


def may(user, roles) -> bool:
    """Whether the user holds one of `roles` (for reads and for what a page shows)."""
    return bool(user and user.is_authenticated and user.has_role(*roles))


def permitted(actor, roles) -> bool:
    """Whether `actor` may write as one of `roles`: never an auditor or a read-only token."""
    return may(actor, roles) and not is_read_only(actor)


def require(actor, roles, *, reading: bool = False) -> None:
    """Refuse (NotPermitted) unless `actor` holds one of `roles`, the first line of every service.

    Auditors and read-only tokens are always refused, unless `reading`: an action that only
    puts a read on record (a report generated, an export), which they may do."""
    if not (may(actor, roles) if reading else permitted(actor, roles)):
        raise NotPermitted()
