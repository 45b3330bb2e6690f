"""Changes and the CMDB: the CI changes a change proposes (applied when it succeeds), and the CI
changes nobody authorised (unauthorised-change detection over the CMDB's history)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import ExceptionState, ProposalKind
from .change import Change


class ProposedCIChange(models.Model):
    """An attribute or relationship change a change will make to one of its CIs. `before` is what
    the CMDB held when it was proposed, for the diff; applied through the CMDB services."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.CASCADE,
                               related_name="proposed_ci_changes")
    ci = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("CI"), on_delete=models.PROTECT,
                           related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=ProposalKind.choices)
    field = models.CharField(_("field or attribute"), max_length=100, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    relationship_type = models.ForeignKey("config_items.RelationshipType", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("related CI"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    apply_error = models.TextField(_("could not be applied"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["change", "id"]
        verbose_name = _("proposed CI change")
        verbose_name_plural = _("proposed CI changes")

    def __str__(self) -> str:
        return f"{self.change_id}: {self.ci_id} {self.field}"


class ExemptSource(models.Model):
    """A discovery source whose CMDB updates are not changes (they record what already is)."""

    source = models.CharField(_("source"), max_length=50, unique=True)
    reason = models.TextField(_("reason"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["source"]
        verbose_name = _("exempt discovery source")
        verbose_name_plural = _("exempt discovery sources")

    def __str__(self) -> str:
        return self.source


class UnauthorisedChange(models.Model):
    """A CI change in the CMDB's history that no change in implementation covered, until a manager
    links it to a change retrospectively or accepts it with a reason."""

    ci = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("CI"), on_delete=models.PROTECT,
                           related_name="+")
    history_id = models.BigIntegerField(_("history row"), unique=True)
    changed_at = models.DateTimeField(_("changed"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(_("what changed"), default=dict)
    state = models.CharField(_("state"), max_length=20, choices=ExceptionState.choices, default=ExceptionState.OPEN)
    change = models.ForeignKey(Change, verbose_name=_("change"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    detected_at = models.DateTimeField(_("detected"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("unauthorised change")
        verbose_name_plural = _("unauthorised changes")
        indexes = [models.Index(fields=["state", "changed_at"], name="unauth_state_changed"),
                   models.Index(fields=["ci", "changed_at"], name="unauth_ci_changed")]
        constraints = [models.CheckConstraint(condition=Q(state="open") | ~Q(resolved_at=None),
                                              name="unauth_resolved_has_time")]

    def __str__(self) -> str:
        return f"{self.ci_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class DetectionCursor(models.Model):
    """How far unauthorised-change detection has read the CMDB history (one row per history
    table): each run reads only what is new since the last."""

    name = models.CharField(max_length=100, unique=True)
    last_history_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("detection cursor")
        verbose_name_plural = _("detection cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_history_id}"
