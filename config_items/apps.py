from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigItemsConfig(AppConfig):
    name = "config_items"
    verbose_name = _("Configuration management")

    def ready(self):
        register_urls()
        register_demo()
        from . import evidence  # noqa: F401  CIs in evidence bundles (itsm.evidence)
        register_menu()
        register_search()


def register_menu():
    """After Home, before the kernel's Teams: the CMDB and the service catalogue, for staff."""
    from itsm.navigation import CONFIGURATION, MenuItem, register
    from itsm.permissions import STAFF_ROLES

    register(MenuItem(_("Configuration items"), "ci_list", icon="server", order=100, roles=STAFF_ROLES,
                      group=CONFIGURATION))
    register(MenuItem(_("Service catalogue"), "service_catalogue", icon="book", order=110, roles=STAFF_ROLES,
                      group=CONFIGURATION))


def register_search():
    """CIs (services too) in the header's search: CI numbers open the CI; text searches number and
    name as the CMDB list does, by name."""
    from django.urls import reverse

    from itsm import search

    from . import selectors
    from .choices import CIStatus
    from .models import ConfigurationItem

    def cis_of(user):
        return selectors.ci_list(user).select_related(None).prefetch_related(None).select_related("ci_type")

    def hit(ci):
        status = CIStatus(ci.status)
        return search.SearchHit(number=ci.number, title=ci.name, url=reverse("ci_detail", args=[ci.pk]),
                                detail=ci.ci_type.name, badge=status.label, colour=status.colour)

    search.register(search.SearchType(
        key="config_items", label=_("Configuration items"), prefix=ConfigurationItem.NUMBER_PREFIX, order=30,
        queryset=cis_of, fields=("number", "name"), hit=hit, list_url_name="ci_list", ordering=("name", "id")))


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
