"""The audit pages, under /audits/."""

from django.urls import path

from . import views

urlpatterns = [
    path("trail/", views.TrailView.as_view(), name="audit_trail"),
    path("verify/", views.VerifyView.as_view(), name="audit_verify"),
    path("evidence/", views.BundleListView.as_view(), name="audit_evidence_list"),
    path("evidence/<int:pk>/progress/", views.BundleProgressView.as_view(), name="audit_evidence_progress"),
    path("evidence/<int:pk>/download/", views.BundleDownloadView.as_view(), name="audit_evidence_download"),
    path("samples/", views.SampleListView.as_view(), name="audit_sample_list"),
    path("samples/<int:pk>/", views.SampleDetailView.as_view(), name="audit_sample_detail"),
    path("samples/items/<int:pk>/", views.SampleItemView.as_view(), name="audit_sample_item"),
    path("auditors/", views.AuditorListView.as_view(), name="audit_auditor_list"),
    path("auditors/<int:pk>/access/", views.AuditorAccessView.as_view(), name="audit_auditor_access"),
]
