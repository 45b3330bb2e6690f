"""One permission class for every endpoint: roles per method, read-only tokens and auditors."""

from rest_framework import permissions

from ..models import ApiToken
from ..permissions import STAFF_ROLES, is_read_only


class RolePermission(permissions.BasePermission):
    """A view declares `read_roles` (safe methods) and `write_roles` (everything else).

    Defaults: staff read, nobody writes. Auditors and read-only tokens never write.
    `query_actions` names POST actions that only compute an answer from their input (no
    write): they are permitted like reads.
    """

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", None) in getattr(
                view, "query_actions", ()):
            return user.has_role(*getattr(view, "read_roles", STAFF_ROLES))
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = "This token is read-only."
            return False
        if is_read_only(user):
            self.message = "Auditors have read-only access."
            return False
        return user.has_role(*getattr(view, "write_roles", ()))


class SignedInReadOnly(permissions.BasePermission):
    """For documentation endpoints: any signed-in user may read; nobody may write."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.method in permissions.SAFE_METHODS)
