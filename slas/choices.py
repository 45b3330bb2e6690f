"""Enumerations of service level management: label and colour together (Tabler colours)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class GoalKind(models.TextChoices):
    """How a target states its goal: a business duration, or a due instant relative to the
    start on the target's calendar (slas.goals)."""

    DURATION = "duration", _("A business duration")
    END_OF_BUSINESS_DAY = "end_of_business_day", _("End of the Nth business day")
    BUSINESS_DAY_AT = "business_day_at", _("At a time on the Nth business day")
    NEXT_BUSINESS_INSTANT = "next_business_instant", _("The next business instant")


class TimerState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def colour(self) -> str:
        return {"running": "blue", "paused": "orange", "met": "green", "breached": "red",
                "cancelled": "secondary"}[self.value]


# A timer whose clock may still move (a breached timer keeps counting until it stops).
LIVE_STATES = (TimerState.RUNNING, TimerState.PAUSED, TimerState.BREACHED)


class TimerEventKind(models.TextChoices):
    START = "start", _("Started")
    PAUSE = "pause", _("Paused")
    RESUME = "resume", _("Resumed")
    RETARGET = "retarget", _("Target changed")
    THRESHOLD = "threshold", _("Threshold reached")
    BREACH = "breach", _("Breached")
    STOP = "stop", _("Stopped")
    REOPEN = "reopen", _("Reopened")
    CANCEL = "cancel", _("Cancelled")
    RECOMPUTE = "recompute", _("Recomputed")


class DayKind(models.TextChoices):
    CLOSED = "closed", _("Closed day")
    WORKING = "working", _("Extra working day")


class ActionKind(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_GROUP_LEAD = "notify_group_lead", _("Notify the group lead")
    NOTIFY_MANAGER = "notify_manager", _("Notify a named manager")
    NOTIFY_TEAM_LEAD = "notify_assignee_team_lead", _("Notify the assignee's team lead")
    NOTIFY_SERVICE_OWNER = "notify_service_owner", _("Notify the service owner")
    NOTIFY_ON_DUTY = "notify_on_duty", _("Notify the group's on-duty manager")
    NOTIFY_CI_OWNERS = "notify_ci_owners", _("Notify the owners of the affected CIs")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")
    REASSIGN = "reassign", _("Reassign to a group")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_THRESHOLDS = (50, 75, 90)
BREACH = 100  # the threshold number of the breach itself in escalation records
