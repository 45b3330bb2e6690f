"""Enumerations of the kernel: label and colour together (Tabler colour names)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups of these names, created by a migration."""

    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    PROBLEM_MANAGER = "problem_manager", _("Problem manager")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    CAB_MEMBER = "cab_member", _("CAB member")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class JournalKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    WORK_NOTE = "work_note", _("Work note")
    STATE_CHANGE = "state_change", _("State change")
    ASSIGNMENT = "assignment", _("Assignment")
    SYSTEM = "system", _("System")
    APPROVAL = "approval", _("Approval")

    @property
    def colour(self) -> str:
        return JOURNAL_COLOURS[self]


JOURNAL_COLOURS = {
    JournalKind.COMMENT: "blue",
    JournalKind.WORK_NOTE: "yellow",
    JournalKind.STATE_CHANGE: "purple",
    JournalKind.ASSIGNMENT: "cyan",
    JournalKind.SYSTEM: "secondary",
    JournalKind.APPROVAL: "green",
}


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    WITHHELD = "withheld", _("Withheld (not sent)")
