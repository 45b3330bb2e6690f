from django.urls import include, path

from itsm.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    *product_urlpatterns,
    path("api/v1/test/", include(("tests.kernel_app.api", "kernel_app"), namespace="kernel_app")),
]
