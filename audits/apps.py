from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    label = "audits"
    verbose_name = _("Audit management")

    def ready(self):
        from . import (
            bundles,  # noqa: F401  the outbox's deliverer of evidence bundles
            demo,
            sources,
        )

        sources.connect()
        demo.register()
        register_urls()
        register_menu()


def register_urls():
    from itsm.mounts import mount_api, mount_pages

    mount_pages("audits/", "audits.urls")
    mount_api("audits/", "audits.api.urls", namespace="audits")


def register_menu():
    """The trail and its verification in the AUDIT group: auditors and administrators."""
    from itsm.navigation import AUDIT, MenuItem, register
    from itsm.permissions import ADMIN_ROLES

    from .selectors import AUDIT_READERS

    register(MenuItem(_("Audit trail"), "audit_trail", icon="history", order=10, roles=AUDIT_READERS,
                      group=AUDIT))
    register(MenuItem(_("Trail verification"), "audit_verify", icon="checks", order=20,
                      roles=AUDIT_READERS, group=AUDIT))
    register(MenuItem(_("Evidence bundles"), "audit_evidence_list", icon="download", order=30,
                      roles=AUDIT_READERS, group=AUDIT))
    register(MenuItem(_("Samples"), "audit_sample_list", icon="list", order=40, roles=AUDIT_READERS, group=AUDIT))
    register(MenuItem(_("External auditors"), "audit_auditor_list", icon="users", order=50,
                      roles=ADMIN_ROLES, group=AUDIT))
