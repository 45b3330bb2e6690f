"""Enumerations of service level management: label and colour together (Tabler colours)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class TargetKind(models.TextChoices):
    """Whose promise a target times: the customer's (a service level target, counted in SLA
    attainment) or one assignment group's (an operational level target: the group's own timer,
    running while the group holds the record, reported apart)."""

    SLA = "sla", _("Service level (the customer's)")
    OLA = "ola", _("Operational level (an assignment group's)")


class Restart(models.TextChoices):
    """What a target's clock does when its start condition holds again after it stopped: a
    resolution reopened, a customer reply after the service desk answered, an assignment group
    getting the record back (slas.services.timers; docs/slas.md, "Cycles")."""

    CONTINUE = "continue", _("Continue the same clock")
    NONE = "none", _("Stay stopped")
    REOPEN = "reopen", _("Start a new cycle on reopening")
    CUSTOMER_REPLY = "customer_reply", _("Start a new cycle on each customer reply")


class CycleCounting(models.TextChoices):
    """Which cycles of a target count in attainment (and the times to respond and resolve)."""

    EVERY = "every", _("Every cycle counts")
    LAST = "last", _("Only the last cycle counts")
    FIRST = "first", _("Only the first cycle counts")


class ClockSignal:
    """What a record's service tells `timers_sync` happened, beyond the record's fields: the
    instants that start or stop a cycle and leave no trace in the record's state."""

    REOPENED = "reopened"  # the record was reopened (a response target restarting on reopening)
    CUSTOMER_REPLY = "customer_reply"  # the caller wrote a public comment
    RESPONSE = "response"  # the service desk wrote a public comment (answers a customer reply)
    ALL = (REOPENED, CUSTOMER_REPLY, RESPONSE)


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
