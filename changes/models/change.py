"""The change request and its answers to the risk questionnaire."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from incidents.choices import Impact
from itsm.history import RecordHistory
from itsm.models import Team
from itsm.records import Record

from ..choices import (
    OPEN_STATES,
    ChangeModel,
    ChangeSource,
    ChangeState,
    CloseCode,
    RiskLevel,
)
from ..workflow import CHANGE_WORKFLOW
from .catalogue import ChangeCategory, RiskOption, RiskQuestion, StandardChangeTemplate

OPEN = Q(state__in=[s.value for s in OPEN_STATES])


class ChangeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(OPEN)


class Change(Record):
    NUMBER_PREFIX = "CHG"

    short_description = models.CharField(_("short description"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    justification = models.TextField(_("justification"), blank=True)
    change_model = models.CharField(_("change model"), max_length=20, choices=ChangeModel.choices,
                                    default=ChangeModel.NORMAL)
    category = models.ForeignKey(ChangeCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(StandardChangeTemplate, verbose_name=_("standard-change template"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="changes")
    source = models.CharField(_("source"), max_length=20, choices=ChangeSource.choices, default=ChangeSource.MANUAL)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT,
                                  related_name="requested_changes", db_index=False)  # chg_requester_state
    assignment_group = models.ForeignKey(Team, verbose_name=_("assignment group"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+", db_index=False)
    implementer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("implementer"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="implemented_changes",
                                    db_index=False)  # chg_implementer_state
    services = models.ManyToManyField("config_items.ConfigurationItem", verbose_name=_("affected services"),
                                      blank=True, related_name="service_changes")
    cis = models.ManyToManyField("config_items.ConfigurationItem", verbose_name=_("affected CIs"), blank=True,
                                 related_name="changes")
    # Computed from the CMDB graph whenever the CIs change: every service that depends on them.
    impacted_services = models.ManyToManyField("config_items.ConfigurationItem",
                                               verbose_name=_("impacted services"), blank=True, related_name="+")
    impacted_customer_count = models.PositiveIntegerField(_("customers of the impacted services"), default=0)
    risk = models.CharField(_("risk"), max_length=20, choices=RiskLevel.choices, blank=True)
    risk_score = models.PositiveIntegerField(_("risk score"), null=True, blank=True)
    risk_assessed_at = models.DateTimeField(_("risk assessed"), null=True, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("backout plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=ChangeState.choices, default=ChangeState.NEW)
    close_code = models.CharField(_("close code"), max_length=30, choices=CloseCode.choices, blank=True)
    close_notes = models.TextField(_("close notes"), blank=True)
    review_notes = models.TextField(_("post-implementation review"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    # Scheduling despite conflicts that need an override: who decided, and why.
    conflict_override_reason = models.TextField(_("conflict override reason"), blank=True)
    conflict_overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+")
    conflict_overridden_at = models.DateTimeField(_("conflicts overridden"), null=True, blank=True)
    problems = models.ManyToManyField("problems.Problem", verbose_name=_("problems it fixes"), blank=True,
                                      related_name="changes")
    caused_incidents = models.ManyToManyField("incidents.Incident", verbose_name=_("incidents it caused"),
                                              blank=True, related_name="causing_changes")
    opened_at = models.DateTimeField(_("opened"))
    authorised_at = models.DateTimeField(_("authorised"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    history = RecordHistory(m2m_fields=[services, cis, problems, caused_incidents])
    workflow = CHANGE_WORKFLOW
    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            # Queues: by state and group, mine (requested / implementing), the calendar by window.
            models.Index(fields=["state", "assignment_group", "opened_at", "id"], name="chg_state_group"),
            models.Index(fields=["requester", "state"], name="chg_requester_state"),
            models.Index(fields=["implementer", "state"], name="chg_implementer_state"),
            models.Index(fields=["state", "planned_start", "planned_end"], name="chg_state_window"),
            models.Index(fields=["planned_start", "planned_end"], name="chg_window"),
            models.Index(fields=["change_model", "state"], name="chg_model_state"),
            models.Index(fields=["opened_at"], name="chg_opened"),
            models.Index(fields=["closed_at"], name="chg_closed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(planned_end__isnull=True) | Q(planned_start__isnull=True)
                                   | Q(planned_end__gt=models.F("planned_start")), name="chg_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_colour(self) -> str:
        return ChangeState(self.state).colour

    @property
    def risk_colour(self) -> str:
        return RiskLevel(self.risk).colour if self.risk else "secondary"

    @property
    def model_colour(self) -> str:
        return ChangeModel(self.change_model).colour


class ChangeRiskAnswer(models.Model):
    """The change's answer to one question of the risk questionnaire, at the weight it had then."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.CASCADE,
                               related_name="risk_answers")
    question = models.ForeignKey(RiskQuestion, verbose_name=_("question"), on_delete=models.PROTECT,
                                 related_name="+")
    option = models.ForeignKey(RiskOption, verbose_name=_("answer"), on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveIntegerField(_("weight"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["change", "question__order", "question_id"]
        verbose_name = _("risk answer of a change")
        verbose_name_plural = _("risk answers of a change")
        constraints = [models.UniqueConstraint(fields=["change", "question"], name="chg_one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.option_id}"
