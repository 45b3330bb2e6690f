from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigItemsConfig(AppConfig):
    name = "config_items"
    verbose_name = _("Configuration management")

    def ready(self):
        register_menu()


def register_menu():
    """After Home, before the kernel's Teams: the CMDB and the service catalogue, for staff."""
    from itsm.navigation import MenuItem, register
    from itsm.permissions import STAFF_ROLES

    register(MenuItem(_("Configuration"), "ci_list", icon="server", order=100, roles=STAFF_ROLES))
    register(MenuItem(_("Service catalogue"), "service_catalogue", icon="book", order=110, roles=STAFF_ROLES))
