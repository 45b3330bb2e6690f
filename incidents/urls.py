"""Browser URLs of incident management: the agents' pages under /incidents/, the
requesters' portal under /portal/ (the API is under /api/v1/incidents/)."""

from django.urls import include, path

from .views import agent, assignment_rules, portal, reports, settings_pages

urlpatterns = [
    *agent.urlpatterns,
    path("reports/", include(reports.urlpatterns)),
    path("settings/", include(settings_pages.urlpatterns)),
    path("settings/", include(assignment_rules.urlpatterns)),
]

portal_urlpatterns = portal.urlpatterns
