"""What the change pages of the records slice share: who may use them, the change of the URL,
and links to pages of other slices that may not be installed yet."""

from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property

from itsm.views.mixins import RoleRequiredMixin

from .. import selectors
from ..models import Change
from ..workflow import CHANGE_WORKERS


class ChangeMixin(RoleRequiredMixin):
    """Staff read (auditors too, without any control); change workers write. Requesters see
    nothing of changes (403)."""

    write_roles = CHANGE_WORKERS


class ChangeGateMixin:
    """The change of the URL through the one access gate (404 for missing and forbidden alike)."""

    @cached_property
    def change(self) -> Change:
        return selectors.change_get_for_user(self.request.user, self.kwargs["pk"])


def url_if_any(name: str, *args, query: str = "") -> str:
    """The URL of another slice's page, or "" while that page does not exist."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url
