"""The permission-matrix entry type and role sets, importable by tests/incidents/matrix_*.py
without importing the matrix test itself."""

from dataclasses import dataclass

ROLES = ("anonymous", "requester", "agent", "team_lead", "auditor", "administrator", "read_only_token")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF = frozenset({"agent", "team_lead", "auditor", "administrator", "read_only_token"})
WORKERS = frozenset({"agent", "team_lead", "administrator"})
ADMINS = frozenset({"administrator"})
NOBODY = frozenset()
BROWSER_ROLES = EVERYONE - {"read_only_token"}
PEOPLE = BROWSER_ROLES - {"anonymous"}
STAFF_PEOPLE = STAFF & PEOPLE
WORKING_PEOPLE = frozenset({"agent", "team_lead", "administrator"})


@dataclass(frozen=True)
class Entry:
    read: frozenset
    write: frozenset
    target: str | None = None  # the object whose pk fills the URL
    browser: bool = False
    patch: bool = True  # also send PATCH (detail endpoints); False for POST-only actions
