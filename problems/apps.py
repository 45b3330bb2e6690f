from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem management")

    def ready(self):
        from incidents.workflow import register_close_check
        from itsm.mounts import mount_api, mount_pages

        from . import (
            demo,
            navigation,
            notifications,  # noqa: F401  routes problem events to the outbox
            sla,
        )
        from .services import major_incident_close_check

        mount_pages("problems/", "problems.urls")
        mount_api("problems/", "problems.api.urls", namespace="problems")
        sla.register()  # problems are SLA subjects (the slas app never imports problems)
        register_close_check(major_incident_close_check)
        navigation.register()  # menu, global search, start page, the incident page's problem panel
        demo.register()
        from . import evidence  # noqa: F401  problems in evidence bundles (itsm.evidence)
