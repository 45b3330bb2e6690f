"""The audit trail: entries written freely in the writers' transactions, seals that chain
them in order, anchors of the chain's head. All three tables are append-only in the database
(triggers, migration 0002); docs/audits.md says why the design is sound."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.audit_sources import action_label


class AuditEntry(models.Model):
    """One fact: who did what to which record, when and from where. Never updated nor deleted;
    its place in the chain is its `AuditSeal`, written later by the sealer."""

    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=40)
    # The user as a plain reference (no constraint: the trail outlives any account) and the
    # name they had at the time.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    username = models.CharField(_("username"), max_length=150, blank=True)
    token_id = models.BigIntegerField(_("API token"), null=True, blank=True)
    task = models.CharField(_("task or command"), max_length=200, blank=True)
    content_type = models.ForeignKey(ContentType, verbose_name=_("record type"), null=True, blank=True,
                                     on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    label = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit trail entry")
        verbose_name_plural = _("audit trail entries")
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="audit_entry_time"),
            models.Index(fields=["content_type", "object_id", "occurred_at"], name="audit_entry_record"),
            models.Index(fields=["user", "occurred_at"], name="audit_entry_user"),
        ]

    def __str__(self) -> str:
        return f"{self.action_label} {self.label} {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    @property
    def action_label(self) -> str:
        return action_label(self.action)


class AuditSeal(models.Model):
    """An entry's place in the chain: `hash` = SHA-256 of the entry's canonical content, its
    sequence number and `prev_hash` (audits.chain). Written once, by the sealer only."""

    entry = models.OneToOneField(AuditEntry, primary_key=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="seal")
    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AuditAnchor(models.Model):
    """The chain's head at a moment (daily by beat, or on demand): printed and logged so that it
    can be kept outside the database, where a rewrite of the whole chain cannot reach it."""

    day = models.DateField(_("date"))
    seq = models.BigIntegerField(_("head sequence"))
    hash = models.CharField(_("head hash"), max_length=64)
    count = models.BigIntegerField(_("sealed entries"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")

    def __str__(self) -> str:
        return f"{self.day} #{self.seq} {self.hash[:12]}"

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), "seq": self.seq, "hash": self.hash, "count": self.count}


class Verification(models.Model):
    """The outcome of one run of the verifier (not part of the chain: a result, shown on the
    audit page; the run itself is an entry of the trail)."""

    ran_at = models.DateTimeField(_("ran at"), default=timezone.now, db_index=True)
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ran by"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    ok = models.BooleanField(_("intact"))
    checked = models.BigIntegerField(_("entries checked"))
    anchors_checked = models.IntegerField(_("anchors checked"), default=0)
    broken_seq = models.BigIntegerField(_("first broken sequence"), null=True, blank=True)
    broken_entry_id = models.BigIntegerField(_("first broken entry"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        ordering = ["-ran_at", "-id"]
        verbose_name = _("audit trail verification")
        verbose_name_plural = _("audit trail verifications")

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'broken'}"
