from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        register_urls()
        register_demo()
        from . import notifications  # noqa: F401  routes incident events to the outbox
        from . import sla

        sla.register()  # incidents are SLA subjects (the slas app never imports incidents)

        register_menu()
        register_home_panel()


def register_menu():
    """After the CMDB: the service desk's queues for staff, the portal for requesters."""
    from itsm.choices import Role
    from itsm.navigation import MenuItem, register
    from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

    register(MenuItem(_("Incidents"), "incident_list", icon="alert-triangle", order=50, roles=STAFF_ROLES))
    register(MenuItem(_("Incident reports"), "incident_reports", icon="chart-bar", order=60, roles=STAFF_ROLES))
    register(MenuItem(_("Incident settings"), "incident_category_list", icon="adjustments", order=950,
                      roles=ADMIN_ROLES))
    register(MenuItem(_("My incidents"), "portal_incident_list", icon="lifebuoy", order=40,
                      roles=(Role.REQUESTER,)))


def register_home_panel():
    from itsm.choices import Role
    from itsm.navigation import HomePanel
    from itsm.navigation import register_home_panel as register_panel
    from itsm.permissions import STAFF_ROLES

    from .selectors import home_counts

    register_panel(HomePanel("incidents/home/panel.html", home_counts, order=10,
                             roles=(*STAFF_ROLES, Role.REQUESTER)))


def register_urls():
    """The pages and the API, mounted by the kernel's URLconf (itsm.mounts)."""
    from itsm.mounts import mount_api, mount_pages

    mount_pages("incidents/", "incidents.urls")
    mount_pages("portal/", "incidents.urls", patterns="portal_urlpatterns")
    mount_api("incidents/", "incidents.api.urls", namespace="incidents")


def register_demo():
    """The incident history after the CMDB (300), and once the service levels exist (400) the
    incidents' timers and the escalation demo (500)."""
    from itsm.demo import DemoOption, DemoStep, register

    from .demo import COUNT, demo_step, service_levels_step

    register(DemoStep("incidents", order=300, load=demo_step, options=(
        DemoOption("--incidents", type=int, default=COUNT,
                   help="How many demo incidents to create the first time (default %(default)s; 0 for none)."),)))
    register(DemoStep("incident service levels", order=500, load=service_levels_step))
