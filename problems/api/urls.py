"""The problem management API, mounted at /api/v1/problems/ (ProblemsConfig.ready)."""

urlpatterns = []
