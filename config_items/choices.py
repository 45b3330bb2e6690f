"""Enumerations of configuration management: label and colour together (Tabler colours)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CIStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_BUILD = "in_build", _("In build")
    LIVE = "live", _("Live")
    IN_MAINTENANCE = "in_maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")

    @property
    def colour(self) -> str:
        return {
            "planned": "secondary", "in_build": "blue", "live": "green",
            "in_maintenance": "orange", "retired": "dark",
        }[self.value]


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Development")
    DISASTER_RECOVERY = "dr", _("Disaster recovery")


class CatalogueStatus(models.TextChoices):
    """Where a service stands in the service catalogue (ISO/IEC 20000-1 8.2.4)."""

    PIPELINE = "pipeline", _("Pipeline")
    LIVE = "live", _("Live")
    RETIRED = "retired", _("Retired")


class AttributeKind(models.TextChoices):
    """Value types an attribute of a CI type may have (see config_items.attributes)."""

    TEXT = "text", _("Text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    IP_ADDRESS = "ip", _("IP address")
    URL = "url", _("URL")
