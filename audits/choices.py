"""States of the auditor's exports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BundleState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")

    @property
    def colour(self) -> str:
        return {"queued": "secondary", "building": "blue", "ready": "green", "failed": "red"}[self.value]


LIVE_BUNDLE_STATES = (BundleState.QUEUED, BundleState.BUILDING)
