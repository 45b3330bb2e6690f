import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_site_is_for_staff_operators_only(client, agent, make_user):
    assert client.get("/admin/").status_code == 302
    client.force_login(agent)
    assert client.get("/admin/").status_code == 302
    operator = make_user("administrator", username="operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200


def test_records_written_by_services_are_read_only_in_the_admin(client, make_user):
    from tests.factories import TeamFactory

    team = TeamFactory()
    client.force_login(make_user("administrator", username="operator", is_staff=True, is_superuser=True))

    assert client.get(f"/admin/itsm/team/{team.pk}/change/").status_code == 200
    client.post(f"/admin/itsm/team/{team.pk}/change/", {"name": "renamed"})
    team.refresh_from_db()
    assert team.name != "renamed"
    assert client.get("/admin/itsm/apitoken/").status_code == 200


@pytest.mark.parametrize("path", ["/admin/incidents/incident/", "/admin/incidents/category/",
                                  "/admin/incidents/priorityrule/", "/admin/itsm/attachment/"])
def test_incident_and_attachment_lists_open_for_operators(client, make_user, agent, path):
    from tests.incidents.factories import make_incident

    make_incident(agent)
    client.force_login(make_user("administrator", username="operator", is_staff=True, is_superuser=True))

    assert client.get(path).status_code == 200
