from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem management")

    def ready(self):
        from incidents.workflow import register_close_check

        from . import sla
        from .services import major_incident_close_check

        sla.register()  # problems are SLA subjects (the slas app never imports problems)
        register_close_check(major_incident_close_check)
