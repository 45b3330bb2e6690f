"""The problem management API, mounted at /api/v1/problems/ (ProblemsConfig.ready)."""

from rest_framework.routers import SimpleRouter

from . import known_errors, related, reports, views

router = SimpleRouter()
# Fixed prefixes first: the problems themselves sit at the root of /api/v1/problems/.
router.register("tasks", related.ProblemTaskViewSet, basename="problem-task")
router.register("incident-links", related.IncidentLinkViewSet, basename="incident-link")
router.register("waivers", related.WaiverViewSet, basename="waiver")
router.register("known-errors", known_errors.KnownErrorViewSet, basename="known-error")
router.register("proposals", known_errors.ProposalViewSet, basename="proposal")
router.register("root-cause-categories", related.RootCauseCategoryViewSet, basename="root-cause-category")
router.register("", views.ProblemViewSet, basename="problem")

urlpatterns = [*reports.urlpatterns, *router.urls]  # reports/...: problems/api/reports.py
