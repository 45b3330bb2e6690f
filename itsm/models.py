"""Kernel data: people and organisations, and the rows behind the shared mechanisms.

The abstract `Record` base every process record inherits lives in `itsm.records`.
"""

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import JournalKind, OutboxStatus, Role

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Versioned(models.Model):
    """A version number that every saved change increments (optimistic concurrency)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class User(AbstractUser):
    """A person who signs in. Roles are groups (see `Role`); preferences live here."""

    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    # Time-boxed access (an external auditor's account): after this instant the account cannot
    # sign in, its sessions end and its API tokens are refused. Empty: no end.
    access_expires_at = models.DateTimeField(_("access expires"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        # Signing in stamps last_login (django.contrib.auth.models.update_last_login): a field
        # the history leaves out, so such a save would write a history row saying nothing.
        if set(kwargs.get("update_fields") or ()) == {"last_login"}:
            self.skip_history_when_saving = True
            try:
                return super().save(*args, **kwargs)
            finally:
                del self.skip_history_when_saving
        return super().save(*args, **kwargs)

    @property
    def access_expired(self) -> bool:
        return self.access_expires_at is not None and self.access_expires_at <= timezone.now()

    @property
    def role_names(self) -> set[str]:
        """The user's role names, cached on the instance: read with the user when it came
        through `with_role_names` (sign-in sessions, API tokens), else one query."""
        if not hasattr(self, "_role_names"):
            if hasattr(self, "role_names_joined"):
                joined = self.role_names_joined
                self._role_names = set(joined.split(ROLE_SEPARATOR)) if joined else set()
            else:
                self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, *roles: str) -> bool:
        if self.is_superuser and Role.ADMINISTRATOR in roles:
            return True
        return bool(self.role_names.intersection(roles))


# Joins a user's group names into one column (group names never contain the unit separator).
ROLE_SEPARATOR = "\x1f"


class JoinedNames(models.Aggregate):
    """Text values joined by ROLE_SEPARATOR into one string (NULL for none)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(31))"
    output_field = models.TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT",
                              template="%(function)s(%(expressions)s, CHAR(31))", **extra_context)


def with_role_names(queryset, user: str = "pk"):
    """`queryset` with each row's user's role names read in the same query, as the column
    `role_names_joined` (`user`: the path to the user's id, e.g. "user_id" for a row that
    points at a user). Saves the query `User.role_names` would otherwise make per request."""
    names = (User.groups.through.objects.filter(user_id=models.OuterRef(user)).order_by()
             .values("user_id").annotate(joined=JoinedNames("group__name")).values("joined"))
    return queryset.annotate(role_names_joined=models.Subquery(names, output_field=models.TextField()))


class Customer(Versioned):
    """An organisation the services are provided to."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name


class Team(Versioned):
    """An assignment group: the people who work records together, with a lead."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("team email"), blank=True)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lead"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="led_teams",
    )
    # Who answers for the group out of hours: SLA escalations can notify them ("notify_on_duty").
    on_duty_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("on-duty manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Who SLA escalations reach as the group's on-duty manager (change it with the rota)."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="teams"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class NumberSequence(models.Model):
    """The next human number of one prefix (INC, CHG, ...); rows are locked to allocate."""

    prefix = models.CharField(max_length=8, primary_key=True)
    next_value = models.PositiveBigIntegerField(default=1001)

    def __str__(self) -> str:
        return f"{self.prefix}{self.next_value:07d}"


class JournalEntry(models.Model):
    """One line on a record's timeline: comment, work note, state change, system event."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=20, choices=JournalKind.choices)
    is_public = models.BooleanField(
        _("visible to the customer"), default=False,
        help_text=_("Comments are visible to requesters; work notes and system entries are not."),
    )
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="journal_timeline")]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class DomainEvent(models.Model):
    """A domain event, recorded in the transaction of the change that caused it."""

    name = models.CharField(_("name"), max_length=100)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="event_record"),
            models.Index(fields=["name", "created_at"], name="event_name_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class OutboxMessage(models.Model):
    """Work that must leave the process (email, webhook), written with the change itself.

    Delivered by `itsm.tasks.deliver_outbox_message`; `status` makes redelivery a no-op.
    """

    topic = models.CharField(_("topic"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    event = models.ForeignKey(
        DomainEvent, verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} ({self.status})"


class ApiToken(models.Model):
    """An API token. Only a SHA-256 digest of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=12, db_index=True)
    key_digest = models.CharField(_("key digest"), max_length=64, unique=True)
    read_only = models.BooleanField(_("read only"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class IdempotencyKey(models.Model):
    """The first answer to a create that carried an `Idempotency-Key` header."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)  # the data; rows written before response_content only
    # The first answer as sent: its rendered body, byte for byte, and the headers that matter
    # (REPLAYED_HEADERS in itsm.api.mixins). A replay sends exactly these.
    response_content = models.BinaryField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "path"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.path}"


class WorkerHeartbeat(models.Model):
    """Written by a periodic task: proves that beat, broker and a worker all work."""

    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} on {self.hostname} at {self.beat_at}"


def attachment_path(instance, filename) -> str:
    # A random name on disk: the original name is data, never a path.
    return f"attachments/{timezone.now():%Y/%m}/{instance.sha256[:2]}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to a record, stored under MEDIA_ROOT (outside the web root) and
    downloaded only through a view that checks who may see the record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Generation(models.Model):
    """The stamp of a per-process cache (`itsm.generations`): every writer of what the cache
    copies puts a new random stamp here in its own transaction; readers compare stamps."""

    name = models.CharField(max_length=100, primary_key=True)
    stamp = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.name}: {self.stamp}"


# Approvals' rows live in a module of their own (itsm/approval_models.py) to keep this one short.
from .approval_models import (  # noqa: E402, F401
    ApprovalDecision,
    ApprovalGroup,
    ApprovalRequest,
)
