from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("Change management")

    def ready(self):
        from itsm.mounts import mount_api, mount_pages

        mount_pages("changes/", "changes.urls")
        mount_api("changes/", "changes.api.urls", namespace="changes")
        from . import evidence  # noqa: F401  changes in evidence bundles (itsm.evidence)
