"""The audit pages, under /audits/."""

from django.urls import path

from . import views

urlpatterns = [
    path("trail/", views.TrailView.as_view(), name="audit_trail"),
    path("verify/", views.VerifyView.as_view(), name="audit_verify"),
]
