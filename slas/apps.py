from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = _("Service level management")

    def ready(self):
        register_urls()
        register_demo()
        register_menu()
        from . import evidence  # noqa: F401  timers and their inputs in evidence bundles (itsm.evidence)


def register_menu():
    """After the incident pages: the managers' service levels; the settings for administrators."""
    from itsm.navigation import SERVICE_LEVELS, SETTINGS, MenuItem, register
    from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

    register(MenuItem(_("SLA dashboard"), "sla_dashboard", icon="clock", order=70, roles=STAFF_ROLES,
                      group=SERVICE_LEVELS))
    register(MenuItem(_("SLA settings"), "sla_calendar_list", icon="calendar", order=960, roles=ADMIN_ROLES,
                      group=SETTINGS))


def register_urls():
    """The pages and the API, mounted by the kernel's URLconf (itsm.mounts)."""
    from itsm.mounts import mount_api, mount_pages

    mount_pages("slas/", "slas.urls")
    mount_api("slas/", "slas.api.urls", namespace="slas")


def register_demo():
    """After the incident history (300): calendars, agreements and targets. The incidents app's
    step 500 then starts the demo incidents' timers."""
    from itsm.demo import DemoStep, register

    from .demo import demo_step

    register(DemoStep("service levels", order=400, load=demo_step))
