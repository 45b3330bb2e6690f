"""The change management API, mounted at /api/v1/changes/ (ChangesConfig.ready). Each slice
registers its viewsets on the router in its own module (`register(router)`) and may add plain
urlpatterns; the changes themselves sit at the root, registered last."""

from rest_framework.routers import SimpleRouter

from . import approvals, cab, catalogue, cmdb, pipeline, records, reports, schedule

router = SimpleRouter()
extra = []
for module in (catalogue, approvals, cab, schedule, cmdb, pipeline, reports, records):
    module.register(router)
    extra.extend(getattr(module, "urlpatterns", []))

urlpatterns = [*extra, *router.urls]
