"""The problem management pages, mounted at /problems/ (ProblemsConfig.ready)."""

urlpatterns = []
