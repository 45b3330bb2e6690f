"""Who may do what: role sets shared by browser views and API endpoints."""

from .choices import Role

ALL_ROLES = tuple(Role)
# Everyone who works in the service desk back office, including read-only auditors.
STAFF_ROLES = (Role.AGENT, Role.TEAM_LEAD, Role.CHANGE_MANAGER, Role.CAB_MEMBER, Role.AUDITOR,
               Role.ADMINISTRATOR)
ADMIN_ROLES = (Role.ADMINISTRATOR,)


def is_read_only(user) -> bool:
    """Auditors read everything and change nothing, whatever other role they hold."""
    return user.is_authenticated and Role.AUDITOR in user.role_names


def may(user, roles) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*roles))
