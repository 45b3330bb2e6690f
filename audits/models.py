"""The audit trail: entries written freely in the writers' transactions, seals that chain
them in order, anchors of the chain's head. All three tables are append-only in the database
(triggers, migration 0002); docs/audits.md says why the design is sound."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.audit_sources import action_label

from .choices import LIVE_BUNDLE_STATES, BundleState


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


class EvidenceBundle(models.Model):
    """One signed evidence bundle asked for by an auditor or an administrator: its parameters,
    and the progress row the building task updates (the page polls it). The ZIP lives on disk
    (EVIDENCE_DIR), never in the database."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    processes = models.JSONField(_("processes"), default=list)
    customers = models.JSONField(_("customers"), default=list, blank=True)
    services = models.JSONField(_("services"), default=list, blank=True)
    include_files = models.BooleanField(_("include attached files"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=BundleState.choices, default=BundleState.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Stamped with each progress update: a building bundle whose heartbeat stopped was lost
    # with its worker and is queued again (services.bundles_resume).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the ZIP"), max_length=64, blank=True)
    manifest_sha256 = models.CharField(_("SHA-256 of the manifest"), max_length=64, blank=True)
    key_fingerprint = models.CharField(_("signing key"), max_length=64, blank=True)
    files = models.PositiveIntegerField(_("files"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("evidence bundle")
        verbose_name_plural = _("evidence bundles")
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="evidence_bundle_state")]

    def __str__(self) -> str:
        return f"EVB{self.pk} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def state_choice(self) -> BundleState:
        return BundleState(self.state)

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_BUNDLE_STATES


class Sample(models.Model):
    """N records of one type drawn from a period with filters by a seed, frozen as a list so the
    same sample can be shown again and drawn again (audits.sampling)."""

    source = models.CharField(_("record type"), max_length=50)
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    customers = models.JSONField(_("customers"), default=list, blank=True)
    services = models.JSONField(_("services"), default=list, blank=True)
    size = models.PositiveIntegerField(_("sample size"))
    seed = models.BigIntegerField(_("seed"))
    population = models.PositiveIntegerField(_("population"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("drawn at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sample")
        verbose_name_plural = _("samples")

    def __str__(self) -> str:
        return f"SMP{self.pk} {self.source} ×{self.size} seed {self.seed}"


class SampleItem(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    label = models.CharField(_("record"), max_length=200)

    class Meta:
        ordering = ["sample", "position"]
        constraints = [models.UniqueConstraint(fields=["sample", "position"], name="sample_item_position")]

    def __str__(self) -> str:
        return self.label
