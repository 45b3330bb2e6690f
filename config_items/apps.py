from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigItemsConfig(AppConfig):
    name = "config_items"
    verbose_name = _("Configuration management")

    def ready(self):
        register_urls()
        register_demo()
        register_menu()


def register_menu():
    """After Home, before the kernel's Teams: the CMDB and the service catalogue, for staff."""
    from itsm.navigation import MenuItem, register
    from itsm.permissions import STAFF_ROLES

    register(MenuItem(_("Configuration"), "ci_list", icon="server", order=100, roles=STAFF_ROLES))
    register(MenuItem(_("Service catalogue"), "service_catalogue", icon="book", order=110, roles=STAFF_ROLES))


def register_urls():
    """The pages and the API, mounted by the kernel's URLconf (itsm.mounts)."""
    from itsm.mounts import mount_api, mount_pages

    mount_pages("cmdb/", "config_items.urls")
    mount_api("cmdb/", "config_items.api.urls", namespace="config_items")


def register_demo():
    """After the kernel's users, teams and customers: five services, their CIs and relationships."""
    from itsm.demo import DemoStep, register

    from .demo import demo_step

    register(DemoStep("CMDB", order=100, load=demo_step))
