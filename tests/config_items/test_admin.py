"""The CMDB in the operators' admin: visible, and read-only (the services keep the rules)."""

import pytest

from config_items.models import ConfigurationItem
from tests.config_items.factories import cmdb_writer, link, make_ci

pytestmark = pytest.mark.django_db


def test_cmdb_rows_are_listed_and_read_only_in_the_admin(client, make_user):
    writer = cmdb_writer()
    ci = make_ci(writer, name="shown")
    link(ci, make_ci(writer), actor=writer)
    client.force_login(make_user("administrator", username="operator", is_staff=True, is_superuser=True))

    for path in ("citype", "configurationitem", "relationshiptype", "relationship", "baseline"):
        assert client.get(f"/admin/config_items/{path}/").status_code == 200, path
    assert client.get(f"/admin/config_items/configurationitem/{ci.pk}/change/").status_code == 200
    client.post(f"/admin/config_items/configurationitem/{ci.pk}/change/", {"name": "renamed"})
    assert ConfigurationItem.objects.get(pk=ci.pk).name == "shown"
    assert client.get("/admin/config_items/configurationitem/add/").status_code == 403
