from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = _("Service level management")

    def ready(self):
        register_menu()


def register_menu():
    """After the incident pages: the managers' service levels; the settings for administrators."""
    from itsm.navigation import MenuItem, register
    from itsm.permissions import ADMIN_ROLES, STAFF_ROLES

    register(MenuItem(_("Service levels"), "sla_dashboard", icon="clock", order=70, roles=STAFF_ROLES))
    register(MenuItem(_("SLA settings"), "sla_calendar_list", icon="calendar", order=960, roles=ADMIN_ROLES))
