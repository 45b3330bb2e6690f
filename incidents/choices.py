"""Enumerations of incident management: label and colour together (Tabler colours)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def colour(self) -> str:
        return {
            "new": "blue", "in_progress": "azure", "on_hold": "orange",
            "resolved": "green", "closed": "secondary", "cancelled": "dark",
        }[self.value]


# States in which someone still has work to do (queues, backlog, correlation dedup).
OPEN_STATES = (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)
FINAL_STATES = (IncidentState.CLOSED, IncidentState.CANCELLED)


class OnHoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", _("Awaiting caller")
    AWAITING_VENDOR = "awaiting_vendor", _("Awaiting vendor")
    AWAITING_CHANGE = "awaiting_change", _("Awaiting change")
    AWAITING_PROBLEM = "awaiting_problem", _("Awaiting problem")


class Impact(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 - Critical")
    P2 = 2, _("P2 - High")
    P3 = 3, _("P3 - Moderate")
    P4 = 4, _("P4 - Low")
    P5 = 5, _("P5 - Planning")

    @property
    def colour(self) -> str:
        return {1: "red", 2: "orange", 3: "yellow", 4: "blue", 5: "secondary"}[self.value]

    @property
    def short(self) -> str:
        return f"P{self.value}"


# The default impact × urgency matrix (ITIL's), loaded by a migration; administrators edit it.
DEFAULT_PRIORITY_MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Self-service portal")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class ResolutionCode(models.TextChoices):
    SOLVED_PERMANENTLY = "solved_permanently", _("Solved (permanently)")
    SOLVED_WORKAROUND = "solved_workaround", _("Solved (workaround)")
    RESOLVED_BY_CALLER = "resolved_by_caller", _("Resolved by caller")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    DUPLICATE = "duplicate", _("Duplicate")
    NO_FAULT = "no_fault", _("No fault found / advice given")
