"""Enumerations of change management: label and colour together (Tabler colours)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeModel(models.TextChoices):
    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")

    @property
    def colour(self) -> str:
        return {"standard": "green", "normal": "blue", "emergency": "red"}[self.value]


class ChangeState(models.TextChoices):
    NEW = "new", _("New")
    ASSESSMENT = "assessment", _("Assessment")
    AUTHORISATION = "authorisation", _("Authorisation")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTATION = "implementation", _("Implementation")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def colour(self) -> str:
        return {
            "new": "blue", "assessment": "azure", "authorisation": "purple", "scheduled": "cyan",
            "implementation": "orange", "review": "yellow", "closed": "secondary", "cancelled": "dark",
        }[self.value]


# Before implementation a change may still be cancelled; from implementation on it has touched
# the service and ends with a close code instead.
BEFORE_IMPLEMENTATION = (ChangeState.NEW, ChangeState.ASSESSMENT, ChangeState.AUTHORISATION,
                         ChangeState.SCHEDULED)
OPEN_STATES = (*BEFORE_IMPLEMENTATION, ChangeState.IMPLEMENTATION, ChangeState.REVIEW)
FINAL_STATES = (ChangeState.CLOSED, ChangeState.CANCELLED)
# States whose planned window occupies the calendar and takes part in collision detection.
SCHEDULING_STATES = (ChangeState.AUTHORISATION, ChangeState.SCHEDULED, ChangeState.IMPLEMENTATION)


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")

    @property
    def rank(self) -> int:
        return {"low": 1, "moderate": 2, "high": 3, "very_high": 4}[self.value]

    @property
    def colour(self) -> str:
        return {"low": "green", "moderate": "yellow", "high": "orange", "very_high": "red"}[self.value]


class CloseCode(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", _("Successful with issues")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")
    CANCELLED = "cancelled", _("Cancelled")


# Close codes that need post-implementation review notes before the change closes.
REVIEW_REQUIRED_CODES = (CloseCode.FAILED, CloseCode.BACKED_OUT)
SUCCESS_CODES = (CloseCode.SUCCESSFUL, CloseCode.SUCCESSFUL_WITH_ISSUES)


class ChangeSource(models.TextChoices):
    MANUAL = "manual", _("Raised by a person")
    TEMPLATE = "template", _("From a standard-change template")
    PIPELINE = "pipeline", _("CI/CD pipeline")


class WindowKind(models.TextChoices):
    BLACKOUT = "blackout", _("Blackout window")
    MAINTENANCE = "maintenance", _("Maintenance window")


class ConflictKind(models.TextChoices):
    SAME_CI = "same_ci", _("Another change on the same CI")
    RELATED_CI = "related_ci", _("Another change on a related CI")
    BLACKOUT = "blackout", _("Inside a blackout window")
    OUTSIDE_MAINTENANCE = "outside_maintenance", _("Outside the CI's maintenance window")


class ConflictPolicy(models.TextChoices):
    """What a conflict of one kind does to scheduling (settings.CHANGE_CONFLICT_POLICY)."""

    BLOCK = "block", _("Blocks scheduling")
    OVERRIDE = "override", _("Needs an override with a reason")
    WARN = "warn", _("Shown only")


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class AgendaDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")


class ProposalKind(models.TextChoices):
    ATTRIBUTE = "attribute", _("Change an attribute")
    ADD_RELATIONSHIP = "add_relationship", _("Add a relationship")
    REMOVE_RELATIONSHIP = "remove_relationship", _("Remove a relationship")


class ExceptionState(models.TextChoices):
    OPEN = "open", _("Open")
    LINKED = "linked", _("Linked to a change")
    ACCEPTED = "accepted", _("Accepted")

    @property
    def colour(self) -> str:
        return {"open": "red", "linked": "green", "accepted": "secondary"}[self.value]
