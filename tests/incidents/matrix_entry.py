"""The permission-matrix entry type and role sets, importable by tests/incidents/matrix_*.py
without importing the matrix test itself.

An entry says who may read (GET) and write (POST, and PATCH on API detail URLs) a URL, and what
an allowed caller gets, exactly: `get` (200 unless said otherwise), `post` and `patch` (no
default: a URL that lets anyone write names the status they get for an empty body). Each is a
status code, a `Redirect` (302 to that place), or `by_role(...)` when roles get different answers.
"""

from dataclasses import dataclass

ROLES = ("anonymous", "requester", "agent", "team_lead", "problem_manager", "change_manager", "auditor",
         "administrator", "read_only_token")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
# The problem manager is staff (reads what staff read) but works no incidents: in none of the sets below.
STAFF = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "auditor", "administrator",
                   "read_only_token"})
WORKERS = frozenset({"agent", "team_lead", "administrator"})
ADMINS = frozenset({"administrator"})
NOBODY = frozenset()
BROWSER_ROLES = EVERYONE - {"read_only_token"}
PEOPLE = BROWSER_ROLES - {"anonymous"}
STAFF_PEOPLE = STAFF & PEOPLE
WORKING_PEOPLE = frozenset({"agent", "team_lead", "administrator"})


@dataclass(frozen=True)
class Redirect:
    """A 302 to `to`: a path in which `{name}` stands for the pk of the matrix target `name`
    (e.g. "/incidents/{incident}/")."""

    to: str


def by_role(default, **roles):
    """An expectation that differs by role: `by_role(400, agent=200)`."""
    return {"*": default, **roles}


@dataclass(frozen=True)
class Entry:
    read: frozenset
    write: frozenset
    target: str | None = None  # the object whose pk fills the URL
    browser: bool = False
    # What an allowed role gets: a status code, a Redirect, or by_role(...).
    get: int | Redirect | dict = 200
    post: int | Redirect | dict | None = None
    # PATCH is sent to API detail URLs (an entry with a target, not browser); False: not sent
    # (POST-only actions); otherwise what an allowed role gets.
    patch: int | Redirect | dict | bool | None = None

    def sends_patch(self) -> bool:
        return bool(self.target) and not self.browser and self.patch is not False

    def expected(self, method: str, role: str):
        """What `role`, allowed `method`, must get; None when the entry does not say."""
        value = {"GET": self.get, "POST": self.post, "PATCH": self.patch}[method]
        if isinstance(value, dict):
            return value.get(role, value.get("*"))
        return None if isinstance(value, bool) else value
