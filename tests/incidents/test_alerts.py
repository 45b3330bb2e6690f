"""Monitoring alerts through POST /api/v1/incidents/alerts/: one open incident per correlation key."""

import pytest

from incidents import services
from incidents.models import Incident
from itsm.models import JournalEntry
from tests.config_items.factories import make_service
from tests.incidents.factories import make_team_with, resolve

URL = "/api/v1/incidents/alerts/"


@pytest.fixture
def monitoring(token_client, make_user):
    """The monitoring system: an agent account with an API token."""
    account = make_user("agent", username="zabbix")
    return account, token_client(account)


def alert(**extra):
    return {"correlation_key": "db01:disk", "short_description": "Disk 95% full on db01",
            "contact_name": "Zabbix", **extra}


@pytest.mark.django_db
def test_a_first_alert_opens_an_incident_from_monitoring(monitoring):
    account, client = monitoring
    team = make_team_with(name="DBA")
    service = make_service(name="Orders")

    response = client.post(URL, alert(assignment_group=team.pk, service=service.pk, impact=1, urgency=1),
                           format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True
    assert (body["channel"], body["correlation_key"], body["alert_count"]) == ("monitoring", "db01:disk", 1)
    assert (body["priority"], body["assignment_group"]["name"], body["service"]["name"]) == (1, "DBA", "Orders")
    assert body["contact_name"] == "Zabbix"


@pytest.mark.django_db
def test_a_repeated_alert_joins_the_open_incident_with_a_journal_entry(monitoring):
    account, client = monitoring
    first = client.post(URL, alert(), format="json").json()

    second = client.post(URL, alert(description="Disk 97% full on db01"), format="json")

    assert second.status_code == 200
    assert (second.json()["id"], second.json()["created"], second.json()["alert_count"]) == (first["id"], False, 2)
    assert Incident.objects.count() == 1
    entries = JournalEntry.objects.filter(object_id=first["id"], kind="system", data__alert=2)
    assert [e.body for e in entries] == ["Disk 97% full on db01"]


@pytest.mark.django_db
def test_after_the_incident_is_resolved_the_same_key_opens_a_new_one(monitoring, agent):
    account, client = monitoring
    first = client.post(URL, alert(), format="json").json()
    resolve(agent, Incident.objects.get(pk=first["id"]))

    again = client.post(URL, alert(), format="json")

    assert again.status_code == 201 and again.json()["created"] is True
    assert again.json()["id"] != first["id"]
    assert Incident.objects.filter(correlation_key="db01:disk").count() == 2


@pytest.mark.django_db
def test_an_alert_without_a_key_or_from_a_requester_is_refused_and_nothing_is_written(monitoring, api, requester):
    account, client = monitoring
    api.force_authenticate(requester)

    no_key = client.post(URL, alert(correlation_key=""), format="json")
    unknown = client.post(URL, alert(state="closed"), format="json")
    forbidden = api.post(URL, alert(), format="json")

    assert no_key.status_code == 400 and set(no_key.json()["error"]["fields"]) == {"correlation_key"}
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"] == {"state": ["Unknown field."]}
    assert forbidden.status_code == 403
    assert Incident.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_five_parallel_alerts_with_one_key_open_exactly_one_incident(run_concurrently, widen_race, make_user):
    # PostgreSQL: row locks and the partial unique index decide; SQLite: the database write lock.
    account = make_user("agent", username="prometheus")
    widen_race("incidents.services.alerts.incident_create")  # every caller is inside its transaction at once

    def report():
        outcome = services.incident_report_alert(actor=account, correlation_key="web:5xx",
                                                 data={"short_description": "5xx rate high",
                                                       "contact_name": "Prometheus"})
        return outcome.incident.pk, outcome.created

    outcomes = run_concurrently(*[report] * 5)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert len({pk for pk, _ in outcomes}) == 1
    assert sorted(created for _, created in outcomes) == [False, False, False, False, True]
    incident = Incident.objects.get(correlation_key="web:5xx")
    assert incident.alert_count == 5
    assert JournalEntry.objects.filter(object_id=incident.pk, data__has_key="alert").count() == 4


@pytest.mark.django_db
def test_a_repeated_alert_is_counted_with_a_history_row_but_no_new_version(make_user):
    account = make_user("agent", username="nagios")
    report = dict(actor=account, correlation_key="mail:queue",
                  data={"short_description": "Mail queue growing", "contact_name": "Nagios"})
    incident = services.incident_report_alert(**report).incident
    version = incident.version

    services.incident_report_alert(**report)

    incident.refresh_from_db()
    assert (incident.alert_count, incident.version) == (2, version)  # an agent's edit is not made stale
    latest = incident.history.first()
    assert (latest.alert_count, latest.history_change_reason, latest.history_user) == (2, "alert repeated", account)
