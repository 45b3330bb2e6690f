"""Domain errors that every layer understands (the API maps them to status codes)."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused operation, with a message fit to show the user."""

    status_code = 400
    code = "invalid"

    def __init__(self, message, *, fields: dict | None = None):
        self.message = str(message)
        self.fields = fields or {}
        super().__init__(self.message)


class TransitionNotAllowed(DomainError):
    """The transition does not exist or does not start from the record's current state."""

    status_code = 409
    code = "transition_not_allowed"


class GuardFailed(DomainError):
    """The transition is allowed from this state, but its preconditions are not met."""

    status_code = 400
    code = "guard_failed"


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("You do not have permission to do this."), **kwargs)
