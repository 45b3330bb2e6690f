"""Browser URLs of service level management, under /slas/ (the API is under /api/v1/slas/)."""

from django.urls import include, path

from .views import dashboard, settings_pages

urlpatterns = [
    *dashboard.urlpatterns,
    path("settings/", include(settings_pages.urlpatterns)),
]
