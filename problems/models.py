"""Problem data: problems and their investigation tasks, links to incidents, the reasons a
major incident needs no problem, trend proposals. Known errors are problems (see
ProblemQuerySet.known_errors): no second copy of the root cause or the workaround.

Everything here changes only through `problems.services`; a problem's state through its workflow.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from incidents.choices import Impact, Priority, Urgency
from itsm.history import RecordHistory
from itsm.models import Team, Versioned
from itsm.records import Record

from .choices import (
    OPEN_STATES,
    ProblemResolutionCode,
    ProblemSource,
    ProblemState,
    ProposalBasis,
    ProposalState,
    TaskState,
)
from .workflow import PROBLEM_WORKFLOW

OPEN = Q(state__in=[s.value for s in OPEN_STATES])
# A known-error entry: a problem in known error, or resolved/closed with a workaround on record.
KNOWN_ERROR = Q(state=ProblemState.KNOWN_ERROR) | (
    Q(state__in=[ProblemState.RESOLVED, ProblemState.CLOSED]) & ~Q(workaround=""))


class RootCauseCategory(models.Model):
    """Administrator-managed classification of root causes (software defect, capacity, ...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("root-cause category")
        verbose_name_plural = _("root-cause categories")

    def __str__(self) -> str:
        return self.name


class ProblemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(OPEN)

    def known_errors(self):
        return self.filter(KNOWN_ERROR)


class Problem(Record):
    NUMBER_PREFIX = "PRB"

    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    symptom = models.TextField(_("symptom"), blank=True,
                               help_text=_("What users and agents see: how the service desk recognises it."))
    service = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("affected service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="service_problems",
                                db_index=False)  # prb_service_state leads with it
    cis = models.ManyToManyField("config_items.ConfigurationItem", verbose_name=_("affected CIs"), blank=True,
                                 related_name="problems")
    category = models.ForeignKey("incidents.Category", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.LOW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P5)
    assignment_group = models.ForeignKey(Team, verbose_name=_("assignment group"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+", db_index=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_problems", db_index=False)
    problem_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("problem manager"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="managed_problems",
                                        db_index=False)
    source = models.CharField(_("source"), max_length=30, choices=ProblemSource.choices,
                              default=ProblemSource.RECURRING_INCIDENTS)
    state = models.CharField(_("state"), max_length=30, choices=ProblemState.choices, default=ProblemState.NEW)
    root_cause = models.TextField(_("root cause"), blank=True)
    root_cause_category = models.ForeignKey(RootCauseCategory, verbose_name=_("root-cause category"), null=True,
                                            blank=True, on_delete=models.PROTECT, related_name="+")
    contributing_factors = models.TextField(_("contributing factors"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    fix = models.TextField(_("fix"), blank=True, help_text=_("The permanent fix, or the change that implements it."))
    resolution_code = models.CharField(_("resolution code"), max_length=30, choices=ProblemResolutionCode.choices,
                                       blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    opened_at = models.DateTimeField(_("opened"))
    root_cause_found_at = models.DateTimeField(_("root cause found"), null=True, blank=True)
    known_error_at = models.DateTimeField(_("known error since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    history = RecordHistory(m2m_fields=[cis])
    workflow = PROBLEM_WORKFLOW
    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            # The queues: open by state / group in priority order, mine, the managers' own.
            models.Index(fields=["state", "assignment_group", "priority", "opened_at", "id"], name="prb_state_group"),
            models.Index(fields=["assignee", "state", "priority"], name="prb_assignee_state"),
            models.Index(fields=["problem_manager", "state"], name="prb_manager_state"),
            models.Index(fields=["state", "priority", "opened_at"], name="prb_state_priority"),
            models.Index(fields=["service", "state"], name="prb_service_state"),
            models.Index(fields=["state", "known_error_at"], name="prb_state_known_error"),
            models.Index(fields=["opened_at"], name="prb_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_known_error(self) -> bool:
        return self.state == ProblemState.KNOWN_ERROR or (
            self.state in (ProblemState.RESOLVED, ProblemState.CLOSED) and bool(self.workaround))

    @property
    def state_colour(self) -> str:
        return ProblemState(self.state).colour

    @property
    def priority_colour(self) -> str:
        return Priority(self.priority).colour


class ProblemTask(Versioned):
    """An investigation task of a problem: someone finds something out by a date."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.PROTECT, related_name="tasks")
    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="problem_tasks")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=TaskState.choices, default=TaskState.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["problem", "id"]
        verbose_name = _("problem task")
        verbose_name_plural = _("problem tasks")
        indexes = [models.Index(fields=["assignee", "state"], name="prbtask_assignee_state")]

    def __str__(self) -> str:
        return self.short_description

    @property
    def is_open(self) -> bool:
        return self.state == TaskState.OPEN


class ProblemIncident(models.Model):
    """An incident linked to a problem (an incident has at most one). Owned by problems:
    incidents never import it; the incident page reads it through incidents' panel registry."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.PROTECT,
                                related_name="incident_links")
    incident = models.OneToOneField("incidents.Incident", verbose_name=_("incident"), on_delete=models.PROTECT,
                                    related_name="problem_link")
    linked_at = models.DateTimeField(_("linked"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Put on hold "awaiting problem" when linked: resolving the problem resumes (or resolves) it.
    waiting = models.BooleanField(_("waiting on the problem"), default=False)
    # Linked from a known-error suggestion: the incident needed no investigation of its own.
    via_known_error = models.BooleanField(_("matched a known error"), default=False)
    workaround_applied_at = models.DateTimeField(_("workaround applied"), null=True, blank=True)
    workaround_applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["problem", "-linked_at", "-id"]
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        indexes = [models.Index(fields=["problem", "linked_at"], name="prbinc_problem_linked")]

    def __str__(self) -> str:
        return f"{self.problem_id} ↔ {self.incident_id}"


class ProblemWaiver(models.Model):
    """The recorded reason why a major incident needs no problem (it may then close without one)."""

    incident = models.OneToOneField("incidents.Incident", verbose_name=_("incident"), on_delete=models.PROTECT,
                                    related_name="problem_waiver")
    reason = models.TextField(_("reason"))
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("no-problem reason")
        verbose_name_plural = _("no-problem reasons")

    def __str__(self) -> str:
        return self.reason[:60]


class TrendProposal(Versioned):
    """A group of recent incidents that recur, proposed as a candidate problem by trend detection.

    `key` names the group (basis + CI/service + category, or the text's signature): a dismissed
    group is proposed again only when it has grown beyond `incident_count` at its dismissal."""

    key = models.CharField(_("group key"), max_length=200)
    basis = models.CharField(_("grouped by"), max_length=30, choices=ProposalBasis.choices)
    title = models.CharField(_("title"), max_length=200)
    explanation = models.TextField(_("why grouped"))
    service = models.ForeignKey("config_items.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    ci = models.ForeignKey("config_items.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    category = models.ForeignKey("incidents.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    incidents = models.ManyToManyField("incidents.Incident", verbose_name=_("incidents"), related_name="+")
    incident_count = models.PositiveIntegerField(_("incidents"))
    window_days = models.PositiveIntegerField(_("window (days)"))
    state = models.CharField(_("state"), max_length=20, choices=ProposalState.choices, default=ProposalState.PENDING)
    detected_at = models.DateTimeField(_("detected"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    dismiss_reason = models.TextField(_("reason for dismissal"), blank=True)
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals")

    history = RecordHistory(m2m_fields=[incidents])

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("trend proposal")
        verbose_name_plural = _("trend proposals")
        constraints = [models.UniqueConstraint(fields=["key"], condition=Q(state="pending"),
                                               name="proposal_one_pending_per_key")]
        indexes = [models.Index(fields=["state", "detected_at"], name="proposal_state"),
                   models.Index(fields=["key", "state"], name="proposal_key")]

    def __str__(self) -> str:
        return self.title
