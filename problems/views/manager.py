"""The problem manager's work view (/problems/manager/): what waits on a decision.

Pending trend proposals, root causes still in analysis, known errors gone stale without a fix,
resolved problems whose quiet period has passed (they may close) and problems whose incidents
recur after their resolution. A fixed number of queries: each list is capped at ROWS.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from itsm.choices import Role

from .. import selectors
from ..choices import ProblemState
from ..models import ProblemIncident
from ..workflow import PROBLEM_MANAGERS
from .common import ProblemMixin

ROWS = 20


def url_or_empty(name: str) -> str:
    """The URL of a page another part of the product builds, or "" while it does not exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def recurring(queryset):
    """Resolved or closed problems with a linked incident opened after their resolution."""
    recurrences = Count("incident_links", filter=Q(incident_links__incident__opened_at__gt=F("resolved_at")))
    return (queryset.filter(state__in=[ProblemState.RESOLVED, ProblemState.CLOSED], resolved_at__isnull=False)
            .annotate(recurrences=recurrences).filter(recurrences__gt=0))


def sections(user, now=None) -> dict:
    """The work view's lists: each (rows, total) read with two queries at most."""
    now = now or timezone.now()
    problems = selectors.problem_list(user)
    quiet_since = now - timedelta(days=settings.PROBLEM_QUIET_DAYS)
    recurred = ProblemIncident.objects.filter(problem_id=OuterRef("pk"), incident__opened_at__gt=OuterRef("resolved_at"))
    lists = {
        "analysis": problems.filter(state=ProblemState.ROOT_CAUSE_ANALYSIS).order_by("priority", "opened_at", "pk"),
        "stale": problems.filter(state=ProblemState.KNOWN_ERROR, fix="",
                                 known_error_at__lt=now - timedelta(days=settings.KNOWN_ERROR_STALE_DAYS))
                         .order_by("known_error_at", "pk"),
        "closable": problems.filter(state=ProblemState.RESOLVED, resolved_at__lt=quiet_since)
                            .exclude(Exists(recurred)).order_by("resolved_at", "pk"),
        "recurring": recurring(problems).order_by("-resolved_at", "pk"),
    }
    return {name: {"rows": list(queryset[:ROWS]), "total": queryset.count()} for name, queryset in lists.items()}


class ProblemManagerView(ProblemMixin, TemplateView):
    template_name = "problems/manager.html"
    read_roles = (*PROBLEM_MANAGERS, Role.AUDITOR)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            sections=sections(user),
            proposals_pending=selectors.proposal_list(user).count(),
            proposals_url=url_or_empty("problem_proposal_list"),
            quiet_days=settings.PROBLEM_QUIET_DAYS, stale_days=settings.KNOWN_ERROR_STALE_DAYS,
            **kwargs)
