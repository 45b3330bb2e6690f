from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("Change management")

    def ready(self):
        from itsm.mounts import mount_api, mount_pages

        from . import (
            demo,
            evidence,  # noqa: F401  changes in evidence bundles (itsm.evidence)
            navigation,
            notifications,  # noqa: F401  routes change events to the outbox
        )
        from .views import approvals, cab, calendar, catalogue, cmdb, reports, schedule

        mount_pages("changes/", "changes.urls")
        mount_api("changes/", "changes.api.urls", namespace="changes")
        navigation.register()  # the change list and its queues, global search, the start page
        for slice_ in (catalogue, approvals, cab, schedule, calendar, cmdb, reports):
            slice_.register_menu()  # each slice's pages in the menu; their change-page cards register on import
        demo.register()
