"""What the service desk's incident pages share: who may use them, the incident of the URL."""

from django.utils.functional import cached_property

from itsm.views.mixins import RoleRequiredMixin

from .. import selectors
from ..models import Incident
from ..workflow import INCIDENT_WORKERS


class IncidentMixin(RoleRequiredMixin):
    """Staff read; the service desk writes."""

    write_roles = INCIDENT_WORKERS


class IncidentGateMixin:
    """The incident of the URL through the one access gate (404 for missing and forbidden alike)."""

    @cached_property
    def incident(self) -> Incident:
        return selectors.incident_get_for_user(self.request.user, self.kwargs["pk"])


def posted_version(request):
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None
