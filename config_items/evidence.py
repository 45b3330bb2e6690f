"""CIs in the auditors' evidence bundles (itsm.evidence): the CMDB's records that changed in the
period (a history row in it), so the bundle shows what the configuration was and who changed it."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from itsm.evidence import EvidenceSource, in_period, register

from .models import ConfigurationItem


def cis_of(period, scope):
    changed = in_period(ConfigurationItem.history.model.objects.filter(id=OuterRef("pk")), "history_date", period)
    cis = ConfigurationItem.objects.filter(Exists(changed)).order_by("pk")
    if scope.services:
        cis = cis.filter(pk__in=scope.services)
    if scope.customers:
        owned = ConfigurationItem.customers.through.objects.filter(
            configurationitem_id=OuterRef("pk"), customer_id__in=scope.customers)
        cis = cis.filter(Exists(owned))
    return cis


register(EvidenceSource("cis", _("Configuration items"), records=cis_of, order=40))
