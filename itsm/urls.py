"""Root URLs. Each process app adds `path("<app>/", include("<app>.urls"))` and its API
under `api/v1/<app>/`."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import health

api_v1 = [
    path("", include(("itsm.api.urls", "itsm"), namespace="itsm")),
]

urlpatterns = [
    path("health/", health.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
