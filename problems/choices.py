"""Enumerations of problem management: label and colour together (Tabler colours)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemState(models.TextChoices):
    NEW = "new", _("New")
    ASSESSMENT = "assessment", _("Assessment")
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", _("Root-cause analysis")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def colour(self) -> str:
        return {
            "new": "blue", "assessment": "azure", "root_cause_analysis": "purple", "known_error": "orange",
            "resolved": "green", "closed": "secondary", "cancelled": "dark",
        }[self.value]


# States in which someone still investigates (queues, "open problems" reports).
OPEN_STATES = (ProblemState.NEW, ProblemState.ASSESSMENT, ProblemState.ROOT_CAUSE_ANALYSIS, ProblemState.KNOWN_ERROR)
FINAL_STATES = (ProblemState.CLOSED, ProblemState.CANCELLED)


class ProblemSource(models.TextChoices):
    RECURRING_INCIDENTS = "recurring_incidents", _("Recurring incidents")
    MAJOR_INCIDENT = "major_incident", _("Major incident")
    TREND_PROPOSAL = "trend_proposal", _("Trend proposal")
    PROACTIVE = "proactive", _("Proactive")
    AUDIT_FINDING = "audit_finding", _("Audit finding")


class ProblemResolutionCode(models.TextChoices):
    FIXED = "fixed", _("Fixed (root cause removed)")
    WORKAROUND_ACCEPTED = "workaround_accepted", _("Workaround accepted as permanent")
    RISK_ACCEPTED = "risk_accepted", _("Risk accepted (no fix)")
    NOT_REPRODUCIBLE = "not_reproducible", _("Cause not found / not reproducible")
    DUPLICATE = "duplicate", _("Duplicate problem")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def colour(self) -> str:
        return {"open": "blue", "done": "green", "cancelled": "secondary"}[self.value]


class ProposalState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")

    @property
    def colour(self) -> str:
        return {"pending": "orange", "accepted": "green", "dismissed": "secondary"}[self.value]


class ProposalBasis(models.TextChoices):
    """Why incidents were grouped into one trend proposal."""

    CI_CATEGORY = "ci_category", _("Same CI and category")
    SERVICE_CATEGORY = "service_category", _("Same service and category")
    SIMILAR_TEXT = "similar_text", _("Similar short descriptions")


class LinkedIncidentsOnResolve(models.TextChoices):
    """What resolving a problem does to the open incidents waiting on it."""

    RESUME = "resume", _("Resume them (back in progress)")
    RESOLVE = "resolve", _("Resolve them with the problem's resolution")
    LEAVE = "leave", _("Leave them as they are")
