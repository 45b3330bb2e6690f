"""The problem management pages, mounted at /problems/ (ProblemsConfig.ready)."""

from .views import reports
from .views import urlpatterns as problem_pages

urlpatterns = [
    *reports.urlpatterns,  # problems/views/reports.py: the report page
    *problem_pages,  # problems/views/: list, problem page, manager view, incident-side actions
]
