"""Incidents in the auditors' evidence bundles (itsm.evidence): those opened in the period."""

from django.utils.translation import gettext_lazy as _

from itsm.evidence import EvidenceSource, in_period, register

from .models import Incident


def incidents_of(period, scope):
    incidents = in_period(Incident.objects.order_by("pk"), "opened_at", period)
    if scope.customers:
        incidents = incidents.filter(customer_id__in=scope.customers)
    if scope.services:
        incidents = incidents.filter(service_id__in=scope.services)
    return incidents


register(EvidenceSource("incidents", _("Incidents"), records=incidents_of, order=10))
