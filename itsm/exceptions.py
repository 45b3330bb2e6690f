"""Domain errors that every layer understands (the API maps them to status codes, forms to
form errors: `itsm.forms.add_error_to_form`, commands and imports to lines: `messages_of`)."""

from django.core.exceptions import ValidationError
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


class StaleRecord(DomainError):
    """The record changed since the caller read it (optimistic concurrency)."""

    status_code = 412
    code = "stale"

    def __init__(self, record, expected_version):
        self.record = record
        self.expected_version = expected_version
        super().__init__(
            _("%(record)s was changed by someone else (version %(current)s, you had %(expected)s). "
              "Reload it and apply your change again.")
            % {"record": record, "current": record.version, "expected": expected_version}
        )


def messages_of(exc: Exception, *, field_names: bool = True) -> list[str]:
    """Readable lines of a refusal, for commands, imports, bulk results and flash messages that
    report it as text: "field: message" for field errors (just "message" without
    `field_names`, for people who filled in no field of that name)."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [f"{name}: {message}" if field_names else message
                    for name, messages in exc.message_dict.items() for message in messages]
        return list(exc.messages)
    if isinstance(exc, DomainError):
        return [exc.message, *(f"{name}: {message}" if field_names else str(message)
                               for name, message in exc.fields.items())]
    return [str(exc)]
