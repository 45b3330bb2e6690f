"""CMDB API, mounted at /api/v1/cmdb/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("ci-types", views.CITypeViewSet, basename="ci-type")
router.register("relationship-types", views.RelationshipTypeViewSet, basename="relationship-type")
router.register("cis", views.CIViewSet, basename="ci")
router.register("relationships", views.RelationshipViewSet, basename="relationship")
router.register("baselines", views.BaselineViewSet, basename="baseline")

urlpatterns = router.urls
