"""SLA API, mounted at /api/v1/slas/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("calendars", views.CalendarViewSet, basename="calendar")

urlpatterns = router.urls
