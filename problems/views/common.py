"""What the problem pages share: who may use them, the problem of the URL."""

from django.utils.functional import cached_property

from itsm.views.mixins import RoleRequiredMixin

from .. import selectors
from ..models import Problem
from ..workflow import PROBLEM_WORKERS


class ProblemMixin(RoleRequiredMixin):
    """Staff read (auditors too, without any control); problem workers write. Requesters see
    nothing of problems (403)."""

    write_roles = PROBLEM_WORKERS


class ProblemGateMixin:
    """The problem of the URL through the one access gate (404 for missing and forbidden alike)."""

    @cached_property
    def problem(self) -> Problem:
        return selectors.problem_get_for_user(self.request.user, self.kwargs["pk"])


def posted_version(request):
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None
