"""Blackout and maintenance windows, and the conflicts found when a change is scheduled."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from itsm.models import Versioned

from ..choices import ConflictKind, WindowKind
from .change import Change


class ScheduleWindow(Versioned):
    """A blackout window (global when it names no service) or a maintenance window of a service
    or CI; one-off (`rrule` blank) or recurring by an iCalendar RRULE in `time_zone`."""

    kind = models.CharField(_("kind"), max_length=20, choices=WindowKind.choices)
    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    service = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("service"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    ci = models.ForeignKey("config_items.ConfigurationItem", verbose_name=_("CI"), null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField(_("start (first occurrence)"))
    end = models.DateTimeField(_("end (first occurrence)"))
    rrule = models.CharField(_("recurrence (RRULE)"), max_length=500, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("schedule window")
        verbose_name_plural = _("schedule windows")
        indexes = [models.Index(fields=["kind", "is_active"], name="chgwin_kind_active")]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="chgwin_ordered")]

    def __str__(self) -> str:
        return self.name


class ChangeConflict(models.Model):
    """A conflict of a change's planned window, as last detected: another change on the same or a
    related CI, a blackout window, or a CI's maintenance window it falls outside. `cleared_at` is
    set when a later check no longer finds it; `overridden_*` when someone scheduled despite it."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.CASCADE,
                               related_name="conflicts")
    kind = models.CharField(_("kind"), max_length=30, choices=ConflictKind.choices)
    # What the conflict is with; `key` names it so that a re-check recognises it.
    key = models.CharField(_("key"), max_length=200)
    other_change = models.ForeignKey(Change, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey(ScheduleWindow, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ci = models.ForeignKey("config_items.ConfigurationItem", null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    detail = models.TextField(_("cause"))
    blocking = models.BooleanField(_("blocks scheduling"), default=False)
    needs_override = models.BooleanField(_("needs an override"), default=False)
    starts_at = models.DateTimeField(_("conflict from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("conflict until"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    overridden_at = models.DateTimeField(_("overridden"), null=True, blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    override_reason = models.TextField(_("override reason"), blank=True)

    class Meta:
        ordering = ["change", "kind", "id"]
        verbose_name = _("change conflict")
        verbose_name_plural = _("change conflicts")
        constraints = [models.UniqueConstraint(fields=["change", "key"], condition=Q(cleared_at__isnull=True),
                                               name="chgconflict_one_current_per_key")]
        indexes = [models.Index(fields=["change", "cleared_at"], name="chgconflict_current"),
                   models.Index(fields=["overridden_at"], name="chgconflict_overridden")]

    def __str__(self) -> str:
        return self.detail
