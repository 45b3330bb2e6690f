"""Configuration management data: CI types, CIs (services among them), relationships, baselines.

A service is a CI whose type is a service type, so one graph answers "what does this break?".
Relationships read "source <forward label> target" (a VM *runs on* a host): the source
depends on the target, so a failing target impacts its sources.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from itsm.models import Customer, Team, Versioned
from itsm.records import Record

from .choices import CatalogueStatus, CIStatus, Environment
from .workflow import CI_WORKFLOW


class CIType(Versioned):
    """A kind of CI with the attributes its CIs carry (validated by config_items.attributes)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_service = models.BooleanField(
        _("service type"), default=False,
        help_text=_("CIs of this type are services and appear in the service catalogue."),
    )
    attribute_schema = models.JSONField(_("attributes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI type")
        verbose_name_plural = _("CI types")

    def __str__(self) -> str:
        return self.name


class ConfigurationItemQuerySet(models.QuerySet):
    def services(self):
        return self.filter(ci_type__is_service=True)

    def live(self):
        return self.filter(status=CIStatus.LIVE)

    def offered(self):
        """The services people may report against: live in the service catalogue, not retired."""
        return self.services().filter(catalogue_status=CatalogueStatus.LIVE).exclude(status=CIStatus.RETIRED)


class ConfigurationItem(Record):
    NUMBER_PREFIX = "CI"

    name = models.CharField(_("name"), max_length=200)
    ci_type = models.ForeignKey(CIType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="items")
    status = models.CharField(_("status"), max_length=20, choices=CIStatus.choices, default=CIStatus.PLANNED)
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    description = models.TextField(_("description"), blank=True)
    owner_team = models.ForeignKey(
        Team, verbose_name=_("owner team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customers = models.ManyToManyField(Customer, verbose_name=_("customers"), blank=True, related_name="+")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # Discovery tools sync by (source, external id); both empty for CIs entered by people.
    source = models.CharField(_("source"), max_length=50, blank=True)
    external_id = models.CharField(_("external ID"), max_length=200, blank=True)
    # Service catalogue fields (used when the type is a service type).
    service_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("service owner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    hours_of_service = models.CharField(_("hours of service"), max_length=200, blank=True)
    catalogue_status = models.CharField(
        _("catalogue status"), max_length=20, choices=CatalogueStatus.choices, blank=True
    )

    history = HistoricalRecords(m2m_fields=[customers])
    workflow = CI_WORKFLOW
    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""), name="ci_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["ci_type", "status"], name="ci_type_status"),
            models.Index(fields=["status", "name"], name="ci_status_name"),
            models.Index(fields=["owner_team", "status"], name="ci_owner_status"),
            models.Index(fields=["updated_at"], name="ci_updated"),
            models.Index(fields=["ci_type", "name"], name="ci_type_name"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_service(self) -> bool:
        return self.ci_type.is_service


class RelationshipType(models.Model):
    """How two CIs relate, read in both directions: "runs on" / "hosts"."""

    slug = models.SlugField(_("code"), max_length=50, unique=True)
    forward_label = models.CharField(_("label (source to target)"), max_length=60)
    reverse_label = models.CharField(_("label (target to source)"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["forward_label"]
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")

    def __str__(self) -> str:
        return f"{self.forward_label} / {self.reverse_label}"


class Relationship(models.Model):
    """"source <type> target": the source depends on the target."""

    source = models.ForeignKey(
        ConfigurationItem, verbose_name=_("source"), on_delete=models.CASCADE, related_name="outgoing"
    )
    target = models.ForeignKey(
        ConfigurationItem, verbose_name=_("target"), on_delete=models.CASCADE, related_name="incoming"
    )
    type = models.ForeignKey(RelationshipType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], name="relationship_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="relationship_not_to_itself"),
        ]
        # Impact analysis walks both directions: by target (upstream) and by source (downstream).
        indexes = [models.Index(fields=["target", "source"], name="relationship_by_target")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.type_id} {self.target_id}"


class Baseline(Record):
    """A named snapshot of a CI (usually a service) and everything under it."""

    NUMBER_PREFIX = "BL"

    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"))
    root = models.ForeignKey(ConfigurationItem, verbose_name=_("root CI"), on_delete=models.PROTECT,
                             related_name="baselines")
    # {"items": {"<id>": {...fields}}, "relationships": [[source, target, type], ...]}
    snapshot = models.JSONField(default=dict, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
