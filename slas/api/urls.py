"""SLA API, mounted at /api/v1/slas/."""

from rest_framework.routers import DefaultRouter

from . import reports, views

router = DefaultRouter()
router.register("calendars", views.CalendarViewSet, basename="calendar")
for prefix, viewset, basename in getattr(views, "EXTRA_ROUTES", ()):
    router.register(prefix, viewset, basename=basename)

urlpatterns = [*router.urls, *reports.urlpatterns]
