"""Problems in the kernel's registries: the grouped menu, global search, the start page and
the incident page's problem panel (registered in ProblemsConfig.ready)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.navigation import SERVICE_DESK, MenuItem

# The known-error suggestions on the incident page: a panel of the known-error pages, registered
# here when problems.known_errors offers `incident_panel(incident, user) -> dict | None` (its
# template below). Registered under the same key by either side, it is shown once.
KNOWN_ERROR_PANEL_KEY = "known_errors"
KNOWN_ERROR_PANEL_TEMPLATE = "problems/known_errors/incident_panel.html"


def register() -> None:
    register_menu()
    register_search()
    register_home_panel()
    register_incident_side()


def register_menu() -> None:
    from itsm.navigation import register as register_item
    from itsm.permissions import STAFF_ROLES

    from .workflow import PROBLEM_MANAGERS

    register_item(MenuItem(_("Problems"), "problem_list", icon="alert-circle", order=70, roles=STAFF_ROLES,
                           group=SERVICE_DESK))
    register_item(MenuItem(_("Known errors"), "problem_known_error_list", icon="book", order=72,
                           roles=STAFF_ROLES, group=SERVICE_DESK))
    register_item(MenuItem(_("Trend proposals"), "problem_proposal_list", icon="flame", order=73,
                           roles=STAFF_ROLES, group=SERVICE_DESK))
    register_item(MenuItem(_("Problem manager"), "problem_manager", icon="clipboard-check", order=74,
                           roles=PROBLEM_MANAGERS, group=SERVICE_DESK))
    register_item(MenuItem(_("Problem reports"), "problem_reports", icon="chart-bar", order=76,
                           roles=STAFF_ROLES, group=SERVICE_DESK))


def register_search() -> None:
    """PRB numbers open the problem; text searches number, short description, symptom, workaround."""
    from itsm import search

    from . import selectors
    from .choices import ProblemState
    from .models import Problem

    def problems_of(user):
        return selectors.problem_list(user).select_related(None).select_related("assignment_group")

    def hit(problem):
        state = ProblemState(problem.state)
        return search.SearchHit(
            number=problem.number, title=problem.short_description,
            url=reverse("problem_detail", args=[problem.pk]),
            detail=problem.assignment_group.name if problem.assignment_group_id else "",
            badge=state.label, colour=state.colour)

    search.register(search.SearchType(
        key="problems", label=_("Problems"), prefix=Problem.NUMBER_PREFIX, order=20,
        queryset=problems_of, search=selectors.problem_search, hit=hit,
        list_url_name="problem_list", ordering=("-opened_at", "-id"), list_params=(("sort", "-opened"),)))


def home_counts(user) -> dict:
    """The start page's problem figures: mine, unassigned in my teams, open known errors."""
    from . import selectors
    from .choices import ProblemState

    problems = selectors.problem_list(user).select_related(None)
    return {"mine": selectors.queue(problems, "mine", user).count(),
            "unassigned": selectors.queue(problems, "unassigned", user).count(),
            "known_errors": problems.filter(state=ProblemState.KNOWN_ERROR).count()}


def register_home_panel() -> None:
    from itsm.choices import Role
    from itsm.navigation import HomePanel
    from itsm.navigation import register_home_panel as register_panel

    from .workflow import PROBLEM_WORKERS

    register_panel(HomePanel("problems/home/panel.html", home_counts, order=20,
                             roles=(*PROBLEM_WORKERS, Role.AUDITOR)))


def register_incident_side() -> None:
    """The incident page's problem panel, the queue's "Create problem", and the known-error hook."""
    from incidents.panels import BulkAction, IncidentPanel, register_bulk_action, register_panel

    from .views.incident_side import incident_panel
    from .workflow import PROBLEM_WORKERS

    try:
        from .known_errors import incident_panel as known_error_panel
    except ImportError:  # the known-error pages offer no incident panel (yet)
        known_error_panel = None

    register_panel(IncidentPanel("problem", "problems/incident_panel.html", context=incident_panel, order=10))
    register_bulk_action(BulkAction("problem", _("Create problem"), "problem_from_incidents", roles=PROBLEM_WORKERS,
                                    order=10, icon="alert-circle"))
    if known_error_panel is not None:
        register_panel(IncidentPanel(KNOWN_ERROR_PANEL_KEY, KNOWN_ERROR_PANEL_TEMPLATE, context=known_error_panel,
                                     order=20, column="main"))
        # ... and beside the logging form, reloaded as the service and CIs change.
        from .known_errors import form_panel
        register_panel(IncidentPanel("known_errors_form", "problems/known_errors/form_panel.html", context=form_panel,
                                     order=20, column="form"))
