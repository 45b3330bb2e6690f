"""What administrators set up for change management: categories, the standard-change catalogue,
the risk questionnaire and the rules that choose approver groups."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from itsm.approval_models import Quorum
from itsm.models import Team, Versioned

from ..choices import ChangeModel, RiskLevel


class ChangeCategory(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("change category")
        verbose_name_plural = _("change categories")

    def __str__(self) -> str:
        return self.name


class StandardChangeTemplate(Versioned):
    """A pre-approved change: using it fills the change and skips authorisation, as long as its
    own approval holds (approved, active and not past its review date)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(ChangeCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    short_description = models.CharField(_("short description of its changes"), max_length=200)
    implementation_plan = models.TextField(_("implementation plan"))
    backout_plan = models.TextField(_("backout plan"))
    test_plan = models.TextField(_("test plan"))
    risk = models.CharField(_("risk"), max_length=20, choices=RiskLevel.choices, default=RiskLevel.LOW)
    services = models.ManyToManyField("config_items.ConfigurationItem", verbose_name=_("services"), blank=True,
                                      related_name="+")
    assignment_group = models.ForeignKey(Team, verbose_name=_("assignment group"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    duration_minutes = models.PositiveIntegerField(_("usual duration (minutes)"), default=60)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_notes = models.TextField(_("approval notes"), blank=True)
    review_date = models.DateField(_("review date"), help_text=_("After this date the template may not be used "
                                                                 "until it is approved again."))
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["name"]
        verbose_name = _("standard-change template")
        verbose_name_plural = _("standard-change templates")

    def __str__(self) -> str:
        return self.name


class RiskQuestion(models.Model):
    text = models.CharField(_("question"), max_length=300)
    help_text = models.TextField(_("help"), blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("risk question")
        verbose_name_plural = _("risk questions")

    def __str__(self) -> str:
        return self.text


class RiskOption(models.Model):
    """One answer to a risk question and the weight it adds to the change's risk score."""

    question = models.ForeignKey(RiskQuestion, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="options")
    text = models.CharField(_("answer"), max_length=200)
    weight = models.PositiveIntegerField(_("weight"), default=0)
    order = models.PositiveIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "order", "id"]
        verbose_name = _("risk answer")
        verbose_name_plural = _("risk answers")

    def __str__(self) -> str:
        return f"{self.text} ({self.weight})"


class RiskThreshold(models.Model):
    """A score from which the risk is at least `level` (the highest threshold reached wins)."""

    level = models.CharField(_("risk"), max_length=20, choices=RiskLevel.choices, unique=True)
    min_score = models.PositiveIntegerField(_("from score"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["min_score"]
        verbose_name = _("risk threshold")
        verbose_name_plural = _("risk thresholds")

    def __str__(self) -> str:
        return f"{self.get_level_display()} ≥ {self.min_score}"


class ApprovalRule(models.Model):
    """An approver group that authorises the changes it matches: by model, by risk from a level up,
    and/or by an affected service (blank: any). Every active matching rule adds its group."""

    name = models.CharField(_("group name"), max_length=100)
    change_model = models.CharField(_("change model"), max_length=20, choices=ChangeModel.choices, blank=True)
    min_risk = models.CharField(_("from risk"), max_length=20, choices=RiskLevel.choices, blank=True)
    service = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("people"), blank=True,
                                   related_name="+")
    board = models.ForeignKey("changes.CabBoard", verbose_name=_("CAB"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="rules",
                              help_text=_("The board whose members decide; its meetings minute the decision."))
    quorum = models.CharField(_("quorum"), max_length=20, choices=Quorum.choices, default=Quorum.ANY)
    quorum_value = models.PositiveIntegerField(_("quorum value"), null=True, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(m2m_fields=[users])

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")

    def __str__(self) -> str:
        return self.name
