"""Service level data: calendars (and their immutable versions), agreements, targets
(immutable versions), timers with their events, and escalation records.

Timers never change their past: a timer points at the calendar version and target version it
was computed with; editing a calendar or target makes a new version, and running timers move
to it only through the explicit recompute action (slas.services.timers_recompute).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from itsm.models import TIME_ZONE_CHOICES, Customer, Team, Versioned

from .choices import (
    BREACH,
    LIVE_STATES,
    ActionKind,
    CycleCounting,
    DayKind,
    GoalKind,
    Metric,
    Restart,
    TargetKind,
    TimerEventKind,
    TimerState,
)


class Calendar(Versioned):
    """Working time: a time zone, weekly hours, public holidays of a country (and region) from
    the `holidays` library, and the organisation's own closed and extra working days."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    # {"mon": [["09:00", "12:00"], ["13:30", "18:00"]], ..., "sun": []}; "24:00" ends a day.
    weekly_hours = models.JSONField(_("weekly hours"), default=dict)
    country = models.CharField(_("public holidays of"), max_length=8, blank=True,
                               help_text=_("ISO country code, e.g. CN; empty for none."))
    subdivision = models.CharField(_("region"), max_length=16, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The 24×7 calendar of the installation: immutable, so "24×7" always means every instant.
    builtin = models.BooleanField(_("built in"), default=False, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """One of the organisation's own days: closed, or worked although it is a weekend or holiday."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # For a working day: [["09:00", "18:00"], ...]; empty means the hours of a Monday.
    hours = models.JSONField(_("hours"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CalendarVersion(models.Model):
    """An immutable, fully expanded snapshot of a calendar that timers compute with:
    {"time_zone", "weekly": {"0": [[540, 720], ...]}, "closed": ["2025-10-01", ...],
    "working": {"2025-09-28": [[540, 1080]]}, "years": [2024, ..., 2028]}."""

    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    summary = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["calendar", "-number"]
        verbose_name = _("calendar version")
        verbose_name_plural = _("calendar versions")
        constraints = [models.UniqueConstraint(fields=["calendar", "number"], name="calendar_version_unique")]

    def __str__(self) -> str:
        return f"{self.calendar_id} v{self.number}"


class Agreement(Versioned):
    """A service level agreement between the provider and a customer for some services."""

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="agreements",
                                 help_text=_("Empty: the provider's default for every customer."))
    services = models.ManyToManyField("config_items.ConfigurationItem", verbose_name=_("services"), blank=True,
                                      related_name="agreements",
                                      help_text=_("Empty: every service."))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["name"]
        verbose_name = _("service level agreement")
        verbose_name_plural = _("service level agreements")

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One version of a target: what is timed, for which records, against which goal.

    Rows are never edited: a change creates the next version (same `lineage`) and makes it
    current; timers keep the version they were computed with.
    """

    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    agreement = models.ForeignKey(Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT,
                                  related_name="targets")
    name = models.CharField(_("name"), max_length=200)
    # A service level target (the customer's promise) or an operational level one (an assignment
    # group's: its timer runs while `team`, or any group when empty, holds the record).
    kind = models.CharField(_("kind"), max_length=3, choices=TargetKind.choices, default=TargetKind.SLA)
    team = models.ForeignKey(Team, verbose_name=_("assignment group"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+",
                             help_text=_("For an operational level target: the group whose time it measures; "
                                         "empty: every group."))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    record_type = models.CharField(_("record type"), max_length=50, default="incident")
    priorities = models.JSONField(_("priorities"), default=list, blank=True, help_text=_("Empty: any priority."))
    service = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text=_("Empty: any service of the agreement."))
    goal = models.DurationField(_("goal"))
    # A relative goal (slas.goals): a due instant from the start instead of a duration (goal unused).
    goal_kind = models.CharField(_("goal kind"), max_length=30, choices=GoalKind.choices, default=GoalKind.DURATION)
    goal_days = models.PositiveSmallIntegerField(_("business days"), default=1,
                                                 help_text=_("For a relative goal: the Nth business day."))
    goal_time = models.TimeField(_("time of day"), null=True, blank=True,
                                 help_text=_("For “at a time on the Nth business day”, in the calendar's zone."))
    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+")
    pause_states = models.JSONField(_("states that pause the clock"), default=list, blank=True)
    # [{"percent": 50, "actions": [{"kind": "notify_assignee"}]}, ..., {"percent": 100, "actions": [...]}]
    escalations = models.JSONField(_("thresholds and actions"), default=list, blank=True)
    # Cycles (docs/slas.md): what the clock does when its start condition holds again after it
    # stopped, and which cycles count in attainment.
    restart = models.CharField(_("when the clock would start again"), max_length=20, choices=Restart.choices,
                               default=Restart.CONTINUE)
    cycle_counting = models.CharField(_("cycles counted in attainment"), max_length=10,
                                      choices=CycleCounting.choices, default=CycleCounting.EVERY)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["agreement", "metric", "name", "-version"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="target_version_unique"),
            models.UniqueConstraint(fields=["lineage"], condition=Q(is_current=True), name="target_one_current"),
        ]
        indexes = [models.Index(fields=["record_type", "metric", "is_current"], name="target_lookup")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_relative(self) -> bool:
        return self.goal_kind != GoalKind.DURATION

    @property
    def is_ola(self) -> bool:
        return self.kind == TargetKind.OLA

    @property
    def reopen_continues(self) -> bool:
        """The former yes/no choice, now one of the restart options (kept for API readers)."""
        return self.restart == Restart.CONTINUE

    def relative_goal_text(self) -> str:
        """A relative goal in words ("end of business day 1"); empty for a duration goal."""
        if self.goal_kind == GoalKind.END_OF_BUSINESS_DAY:
            return _("end of business day %(days)s") % {"days": self.goal_days}
        if self.goal_kind == GoalKind.BUSINESS_DAY_AT:
            return _("%(time)s on business day %(days)s") % {"time": self.goal_time.strftime("%H:%M") if self.goal_time
                                                             else "", "days": self.goal_days}
        if self.goal_kind == GoalKind.NEXT_BUSINESS_INSTANT:
            return str(_("the next business instant"))
        return ""

    @property
    def thresholds(self) -> list[int]:
        return sorted({int(step["percent"]) for step in self.escalations})


# "At risk": see TimerQuerySet.at_risk. The one definition the incident queue's "At risk" tab and
# the SLA dashboard's "At risk now" share (docs/slas.md, "At risk").
AT_RISK_HOURS = 4


class TimerQuerySet(models.QuerySet):
    def at_risk(self, now=None, hours: int = AT_RISK_HOURS):
        """Timers **at risk** at `now`: a customer's (service level) timer that counts in
        attainment, whose clock is running (not paused, not stopped) and not yet breached, and
        either a warning threshold below 100 % has been reached (an escalation was recorded for
        it) or the due instant is within `hours` of `now`. Breached timers are not at risk: they
        are breached (the dashboard's breaches, the queue's time-to-breach sort).

        Served by the index timer_state_due (state, due_at) and, for the warning, the unique
        index escalation_once (timer, threshold, action)."""
        now = now or timezone.now()
        warned = Escalation.objects.filter(timer=OuterRef("pk"), threshold__lt=BREACH)
        # The customer's clocks that count in attainment: an operational level (OLA) timer is the
        # group's, reported apart, and a cycle its target does not count cannot hurt attainment.
        # (No group: the customer's timer, as `kind` says; the constraint timer_ola_has_team.)
        return self.filter(state=TimerState.RUNNING, running=True, stopped_at__isnull=True,
                           breached_at__isnull=True, ola_team__isnull=True, counts=True).filter(
            Q(Exists(warned)) | Q(due_at__lte=now + timedelta(hours=hours)))


class Timer(models.Model):
    """One cycle of a target applied to one record. `elapsed` is the business time counted up to
    `counted_until`; while `running`, the clock keeps counting from there.

    A record's timers are keyed by metric and scope — the customer's (SLA) or one assignment
    group's (OLA, `ola_team`) — and numbered by `cycle` within their key: a target that restarts
    (on reopening, on a customer reply, when a group gets the record back) ends the current cycle
    and starts the next. Exactly one timer per key is current (`is_current`, partial unique
    constraints); earlier cycles are finished and keep their outcome. `counts`: whether this
    cycle counts in attainment, as its target's counting option says."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    kind = models.CharField(_("kind"), max_length=3, choices=TargetKind.choices, default=TargetKind.SLA,
                            db_default=TargetKind.SLA)
    ola_team = models.ForeignKey(Team, verbose_name=_("assignment group"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("An operational level timer's group."))
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1, db_default=1)
    is_current = models.BooleanField(_("current cycle"), default=True, db_default=True)
    counts = models.BooleanField(_("counts in attainment"), default=True, db_default=True)
    target = models.ForeignKey(Target, verbose_name=_("target"), on_delete=models.PROTECT, related_name="timers")
    calendar_version = models.ForeignKey(CalendarVersion, verbose_name=_("calendar version"),
                                         on_delete=models.PROTECT, related_name="timers")
    goal = models.DurationField(_("goal"))
    state = models.CharField(_("state"), max_length=20, choices=TimerState.choices, default=TimerState.RUNNING)
    running = models.BooleanField(_("clock running"), default=True)
    pause_reason = models.CharField(_("paused because"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    elapsed = models.DurationField(_("elapsed business time"))
    counted_until = models.DateTimeField(_("counted until"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    # When the sweep must look at this timer next (a threshold or the due instant); null: never.
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    # Denormalised from the record for dashboards (attainment by service, customer, priority, team).
    service_id_snapshot = models.PositiveBigIntegerField(null=True, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = TimerQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        # The timer key: metric + scope (the customer's, or one group's) + cycle. One current
        # cycle per metric and scope, each cycle number once.
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "metric"],
                                    condition=Q(kind=TargetKind.SLA, is_current=True), name="timer_one_current_sla"),
            models.UniqueConstraint(fields=["content_type", "object_id", "metric", "ola_team"],
                                    condition=Q(kind=TargetKind.OLA, is_current=True), name="timer_one_current_ola"),
            models.UniqueConstraint(fields=["content_type", "object_id", "metric", "cycle"],
                                    condition=Q(kind=TargetKind.SLA), name="timer_sla_cycle_once"),
            models.UniqueConstraint(fields=["content_type", "object_id", "metric", "ola_team", "cycle"],
                                    condition=Q(kind=TargetKind.OLA), name="timer_ola_cycle_once"),
            models.CheckConstraint(condition=Q(kind=TargetKind.SLA, ola_team__isnull=True)
                                   | Q(kind=TargetKind.OLA, ola_team__isnull=False), name="timer_ola_has_team"),
            models.CheckConstraint(condition=Q(cycle__gte=1), name="timer_cycle_positive"),
        ]
        indexes = [
            # The escalation sweep: only timers with something to check, by when.
            models.Index(fields=["next_check_at"], name="timer_next_check",
                         condition=Q(next_check_at__isnull=False)),
            models.Index(fields=["content_type", "object_id"], name="timer_record"),
            models.Index(fields=["state", "due_at"], name="timer_state_due"),
            models.Index(fields=["stopped_at"], name="timer_stopped"),
            # Dashboards and breach lists by breach instant.
            models.Index(fields=["breached_at"], name="timer_breached", condition=Q(breached_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} timer of {self.content_type_id}:{self.object_id}"

    @property
    def is_ola(self) -> bool:
        return self.kind == TargetKind.OLA

    @property
    def key(self) -> tuple:
        """(metric, group id or None): the timer's key without its cycle."""
        return (self.metric, self.ola_team_id)

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES and self.stopped_at is None


class TimerEvent(models.Model):
    """One line of a timer's explanation: what happened to the clock, when, and why."""

    timer = models.ForeignKey(Timer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=TimerEventKind.choices)
    at = models.DateTimeField(_("at"))
    cause = models.CharField(_("cause"), max_length=300, blank=True)
    elapsed = models.DurationField(_("elapsed at this point"))
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timer event")
        verbose_name_plural = _("timer events")
        indexes = [models.Index(fields=["timer", "at"], name="timer_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """One escalation step done for one timer: the unique constraint makes it happen once,
    whatever the retries, the workers killed mid-batch or a second scheduler."""

    timer = models.ForeignKey(Timer, on_delete=models.CASCADE, related_name="escalations")
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    action = models.CharField(_("action"), max_length=30, choices=ActionKind.choices + [("record", _("Record"))])
    due_at = models.DateTimeField(_("due"), help_text=_("When the threshold was reached."))
    done_at = models.DateTimeField(_("done"), default=timezone.now)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["timer", "threshold", "action"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["timer", "threshold", "action"], name="escalation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.timer_id} {self.threshold}% {self.action}"
