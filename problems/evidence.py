"""Problems in the auditors' evidence bundles (itsm.evidence): those opened in the period.
Problems name no customer: a customer scope keeps those linked to the customer's incidents."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from itsm.evidence import EvidenceSource, in_period, register

from .models import Problem, ProblemIncident


def problems_of(period, scope):
    problems = in_period(Problem.objects.order_by("pk"), "opened_at", period)
    if scope.services:
        problems = problems.filter(service_id__in=scope.services)
    if scope.customers:
        links = ProblemIncident.objects.filter(problem_id=OuterRef("pk"),
                                               incident__customer_id__in=scope.customers)
        problems = problems.filter(Exists(links))
    return problems


register(EvidenceSource("problems", _("Problems"), records=problems_of, order=20))
