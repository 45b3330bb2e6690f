"""API of incident management, under /api/v1/incidents/."""

from . import reports, views

urlpatterns = [*views.urlpatterns, *reports.urlpatterns]
