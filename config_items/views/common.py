"""What every CMDB page shares: the roles, the CI gate, status colours."""


from django.http import Http404
from django.utils.functional import cached_property

from itsm.views.mixins import RoleRequiredMixin

from .. import selectors
from ..choices import CIStatus
from ..models import ConfigurationItem
from ..workflow import CMDB_WRITERS


def status_colour(status: str) -> str:
    try:
        return CIStatus(status).colour
    except ValueError:
        return "secondary"


class CMDBMixin(RoleRequiredMixin):
    write_roles = CMDB_WRITERS


class CIGateMixin:
    """The CI of the URL, through the one access gate (404 for missing and forbidden alike)."""

    @cached_property
    def ci(self):
        try:
            return selectors.ci_get_for_user(self.request.user, self.kwargs["pk"])
        except (ConfigurationItem.DoesNotExist, Http404):
            raise Http404 from None
