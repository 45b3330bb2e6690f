"""API of the audit trail, under /api/v1/audits/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("trail", views.TrailViewSet, basename="trail")
router.register("evidence", views.EvidenceBundleViewSet, basename="evidence")
router.register("samples", views.SampleViewSet, basename="sample")

urlpatterns = [*router.urls, path("verification/", views.VerificationView.as_view(), name="verification")]
