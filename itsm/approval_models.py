"""Approval rows (imported by itsm.models): a request on a record, its approver groups and
their decisions. Written only by the services of `itsm.approvals`.

No simple-history here: a decision is never changed once written (who, when, as which group,
with a comment), and every change of a request's or group's state is a journal entry and an
event on the record (itsm.approvals), which the audit trail records as well.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    INVALIDATED = "invalidated", _("Invalidated")


class Quorum(models.TextChoices):
    ANY = "any", _("Any one")
    ALL = "all", _("All")
    COUNT = "count", _("N of M")
    PERCENT = "percent", _("Percentage")


class Outcome(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ApprovalRequest(models.Model):
    """Approval of one record for one purpose ("authorisation", "go_no_go")."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    purpose = models.CharField(_("purpose"), max_length=50)
    state = models.CharField(_("state"), max_length=20, choices=ApprovalState.choices,
                             default=ApprovalState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Segregation of duties: the record's requester and implementer(s), as the owner app named them.
    excluded = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("excluded"),
                                      blank=True, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)  # why it was cancelled or invalidated

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        indexes = [models.Index(fields=["content_type", "object_id"], name="approval_record")]
        constraints = [
            # One pending request per record and purpose, also when two are asked at once.
            models.UniqueConstraint(fields=["content_type", "object_id", "purpose"],
                                    condition=Q(state="pending"), name="approval_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk} ({self.state})"


class ApprovalGroup(models.Model):
    """One set of approvers of a request with its quorum. `members` are the people who may
    decide, fixed when the request is made (the team's members then, minus the excluded), so
    "all" and "N of M" count against a stable M."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey("itsm.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("approvers"),
                                     related_name="+")
    quorum = models.CharField(_("quorum"), max_length=10, choices=Quorum.choices, default=Quorum.ANY)
    quorum_value = models.PositiveSmallIntegerField(null=True, blank=True)  # N, or the percentage
    required = models.PositiveSmallIntegerField(_("approvals required"))
    state = models.CharField(_("state"), max_length=20, choices=ApprovalState.choices,
                             default=ApprovalState.PENDING)

    class Meta:
        ordering = ["id"]
        verbose_name = _("approver group")
        verbose_name_plural = _("approver groups")

    def __str__(self) -> str:
        return self.name


class ApprovalDecision(models.Model):
    """One approver's decision as one group: never changed."""

    group = models.ForeignKey(ApprovalGroup, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"),
                                 on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        constraints = [
            # Once per group: the database's answer to a double click the lock did not catch.
            models.UniqueConstraint(fields=["group", "approver"], name="approval_decision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} by {self.approver_id}"
