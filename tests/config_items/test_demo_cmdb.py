"""manage.py demo_data loads a small, believable CMDB once: services, CIs, relationships."""

from collections import Counter

import pytest
from django.core.management import call_command

from config_items.choices import CatalogueStatus, CIStatus
from config_items.models import Baseline, ConfigurationItem, Relationship
from config_items.selectors import impact
from itsm.models import JournalEntry

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        Counter(ConfigurationItem.objects.values_list("source", "external_id")),
        sorted(Relationship.objects.values_list("source__external_id", "type__slug", "target__external_id")),
        ConfigurationItem.history.count(),
        Relationship.history.count(),
        Baseline.objects.count(),
        # Each run re-arms the incidents' escalation demo (a note on its own journal): not counted.
        JournalEntry.objects.exclude(content_type__model="incident").count(),
    )


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("demo_data", incidents=0)


def test_it_loads_five_live_services_about_sixty_cis_and_a_hundred_relationships(demo):
    cis = ConfigurationItem.objects.filter(source="demo")
    assert 55 <= cis.count() <= 70
    assert Relationship.objects.count() >= 100
    services = cis.services()
    assert sorted(services.values_list("name", flat=True)) == [
        "ERP", "Email & Collaboration", "Identity & Single Sign-On", "Online Shop", "Shared Database Platform",
    ]
    for service in services:
        assert service.status == CIStatus.LIVE
        assert service.catalogue_status == CatalogueStatus.LIVE
        assert service.service_owner is not None and service.hours_of_service
        assert service.customers.exists()
    assert set(ConfigurationItem.objects.get(name="Online Shop").customers.values_list("code", flat=True)) == {"globex"}
    assert set(ConfigurationItem.objects.get(name="ERP").customers.values_list("code", flat=True)) == {"acme"}
    # Every kind of infrastructure is there, owned by a demo team, most of it live.
    assert {"server", "virtual-machine", "application", "database", "network-device", "storage"} <= set(
        cis.values_list("ci_type__slug", flat=True)
    )
    assert not cis.filter(owner_team=None).exists()
    assert cis.filter(status=CIStatus.LIVE).count() >= 0.8 * cis.count()
    assert Baseline.objects.filter(root__name="Online Shop").count() == 1


def test_live_cis_went_through_the_lifecycle_with_a_lead_as_actor(demo):
    host = ConfigurationItem.objects.get(source="demo", external_id="srv-esx-01")
    steps = list(host.history.order_by("history_id").values_list("status", "history_user__username"))
    assert [status for status, _ in steps] == ["planned", "in_build", "live"]
    assert {user for _, user in steps} == {"netlead"}


def test_the_graph_shows_shared_components_under_several_services(demo):
    san = ConfigurationItem.objects.get(source="demo", external_id="sto-san-01")
    upstream = {node["name"] for node in impact(san, direction="upstream", depth=10).nodes}
    assert {"Online Shop", "ERP", "Email & Collaboration", "Identity & Single Sign-On"} <= upstream

    shop = ConfigurationItem.objects.get(name="Online Shop")
    downstream = {node["name"] for node in impact(shop, direction="downstream", depth=10).nodes}
    assert {"Shop API", "shop-db", "esx-01", "san-01", "core-sw-01", "Keycloak"} <= downstream
    assert "ERP core" not in downstream


def test_running_it_twice_adds_nothing(demo):
    first = _snapshot()

    call_command("demo_data", incidents=0)

    assert _snapshot() == first
