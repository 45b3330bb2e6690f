from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        register_urls()
        register_demo()
        from . import (
            evidence,  # noqa: F401  incidents in evidence bundles (itsm.evidence)
            notifications,  # noqa: F401  routes incident events to the outbox
            sla,
        )

        sla.register()  # incidents are SLA subjects (the slas app never imports incidents)

        register_menu()
        register_home_panel()
        register_search()


def register_menu():
    """After the CMDB: the service desk's queues for staff, the portal for requesters."""
    from itsm.choices import Role
    from itsm.navigation import SERVICE_DESK, SETTINGS, MenuItem, register
    from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

    from .workflow import INCIDENT_WORKERS

    register(MenuItem(_("Incidents"), "incident_list", icon="alert-triangle", order=50, roles=STAFF_ROLES,
                      group=SERVICE_DESK))
    register(MenuItem(_("Triage (no group)"), "incident_list", query="queue=triage", icon="filter",
                      order=55, roles=INCIDENT_WORKERS, group=SERVICE_DESK))
    register(MenuItem(_("Incident reports"), "incident_reports", icon="chart-bar", order=60, roles=STAFF_ROLES,
                      group=SERVICE_DESK))
    register(MenuItem(_("Incident settings"), "incident_category_list", icon="adjustments", order=950,
                      roles=ADMIN_ROLES, group=SETTINGS))
    register(MenuItem(_("My incidents"), "portal_incident_list", icon="lifebuoy", order=40,
                      roles=(Role.REQUESTER,), group=SERVICE_DESK))


def register_home_panel():
    from itsm.choices import Role
    from itsm.navigation import HomePanel
    from itsm.navigation import register_home_panel as register_panel
    from itsm.permissions import STAFF_ROLES

    from .selectors import home_counts

    register_panel(HomePanel("incidents/home/panel.html", home_counts, order=10,
                             roles=(*STAFF_ROLES, Role.REQUESTER)))


def register_search():
    """Incidents in the header's search: INC numbers open the incident; text searches the queue's
    way (selectors.incident_search), newest first."""
    from django.urls import reverse

    from itsm import search

    from . import selectors
    from .choices import IncidentState
    from .models import Incident

    def incidents_of(user):
        # A hit shows the assignment group only: the queue's other joins cost the planner.
        return selectors.incident_list(user).select_related(None).select_related("assignment_group")

    def hit(incident):
        state = IncidentState(incident.state)
        return search.SearchHit(
            number=incident.number, title=incident.short_description,
            url=reverse("incident_detail", args=[incident.pk]),
            detail=incident.assignment_group.name if incident.assignment_group_id else "",
            badge=state.label, colour=state.colour)

    search.register(search.SearchType(
        key="incidents", label=_("Incidents"), prefix=Incident.NUMBER_PREFIX, order=10,
        queryset=incidents_of, search=selectors.incident_search, hit=hit,
        list_url_name="incident_list", ordering=("-opened_at", "-id"),
        # "More" lists them in the same order: the newest first is also what PostgreSQL finds
        # fastest for a common word (the opened_at index read backwards, bench/global_search.py).
        list_params=(("sort", "-opened"),)))


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
