"""The problem management pages, mounted at /problems/ (ProblemsConfig.ready)."""

from .views import known_errors, proposals, reports
from .views import urlpatterns as problem_pages

urlpatterns = [
    *known_errors.urlpatterns,  # problems/views/known_errors.py: the KEDB, suggestions, apply
    *proposals.urlpatterns,  # problems/views/proposals.py: trend proposals
    *reports.urlpatterns,  # problems/views/reports.py: the report page
    *problem_pages,  # problems/views/: list, problem page, manager view, incident-side actions
]
