"""Problems seen from the incident pages: the problem panel (incidents.panels), linking from the
incident, the major-incident waiver, and "Create problem" from the queue's ticked incidents."""

import pytest
from django.test import Client
from django.urls import reverse

from incidents import services as incident_services
from incidents.choices import IncidentState, OnHoldReason
from problems import services
from problems.choices import ProblemSource
from problems.models import Problem, ProblemIncident, ProblemWaiver
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem, publish

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def incident_page(user, incident):
    return client_of(user).get(reverse("incident_detail", args=[incident.pk]))


def test_an_agent_sees_how_to_give_an_incident_a_problem(agent):
    incident = make_incident(agent)

    html = incident_page(agent, incident).content.decode()

    assert 'id="problem-panel"' in html and "Not linked to a problem." in html
    assert 'id="problem-create-from-incident"' in html and 'id="problem-link-form"' in html


def test_the_panel_shows_the_linked_problem_and_the_auditor_gets_no_forms(agent, auditor):
    incident = make_incident(agent)
    problem = make_problem(agent)
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[incident])

    html = incident_page(auditor, incident).content.decode()

    assert problem.number in html and reverse("problem_detail", args=[problem.pk]) in html
    assert 'id="problem-link-form"' not in html and 'id="problem-create-from-incident"' not in html


def test_a_linked_incident_is_offered_its_known_errors_workaround_and_applies_it(agent, auditor, problem_manager):
    incident = make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[incident])
    publish(problem_manager, problem, workaround="Restart the mail relay.")

    page = incident_page(agent, incident).content.decode()
    applied = client_of(agent).post(reverse("problem_known_error_apply", args=[problem.pk]),
                                    {"incident": incident.pk, "visibility": "internal"})
    after = incident_page(agent, incident).content.decode()

    assert 'id="linked-workaround-apply"' in page and "Restart the mail relay." in page
    assert applied.status_code == 302
    assert ProblemIncident.objects.get(incident=incident).workaround_applied_at is not None
    assert "Applied " in after
    assert 'id="linked-workaround-apply"' not in incident_page(auditor, incident).content.decode()


def test_an_agent_links_the_incident_to_a_problem_by_number_and_puts_it_on_hold(agent):
    incident = make_incident(agent)
    problem = make_problem(agent)

    response = client_of(agent).post(reverse("problem_incident_link", args=[incident.pk]),
                                     {"problem": problem.number.lower(), "hold": "on"})

    incident.refresh_from_db()
    assert response["Location"] == reverse("incident_detail", args=[incident.pk]) + "#problem-panel"
    assert ProblemIncident.objects.get().problem == problem
    assert (incident.state, incident.on_hold_reason) == (IncidentState.ON_HOLD, OnHoldReason.AWAITING_PROBLEM)


def test_an_unknown_problem_number_is_refused_with_a_message_and_nothing_written(agent):
    incident = make_incident(agent)

    with assert_nothing_written(ProblemIncident):
        response = client_of(agent).post(reverse("problem_incident_link", args=[incident.pk]),
                                         {"problem": "PRB0000000"}, follow=True)

    assert "There is no problem PRB0000000" in response.content.decode()


def test_an_agent_creates_a_problem_from_the_incident_with_its_fields_carried_over(agent):
    service = make_service(name="Mail")
    incident = make_incident(agent, short_description="Mail bounces", service=service)

    response = client_of(agent).post(reverse("problem_from_incidents"), {"incidents": [incident.pk]})

    problem = Problem.objects.get()
    assert response["Location"] == reverse("problem_detail", args=[problem.pk])
    assert (problem.short_description, problem.service) == ("Mail bounces", service)
    assert list(problem.incident_links.values_list("incident_id", flat=True)) == [incident.pk]


def test_the_queue_offers_create_problem_and_it_makes_one_problem_from_the_ticked_incidents(agent):
    first, second = make_incident(agent, short_description="VPN drops"), make_incident(agent)
    client = client_of(agent)

    queue = client.get(reverse("incident_list"), {"queue": "open"}).content.decode()
    response = client.post(reverse("problem_from_incidents"),
                           {"incidents": [first.pk, second.pk], "next": "/incidents/?queue=open",
                            "operation": "assign"})

    assert 'data-bulk-action="problem"' in queue and f'formaction="{reverse("problem_from_incidents")}"' in queue
    problem = Problem.objects.get()
    assert response["Location"] == reverse("problem_detail", args=[problem.pk])
    assert sorted(problem.incident_links.values_list("incident_id", flat=True)) == [first.pk, second.pk]
    assert problem.source == ProblemSource.RECURRING_INCIDENTS


def test_create_problem_without_a_ticked_incident_goes_back_to_the_queue(agent):
    with assert_nothing_written(Problem):
        response = client_of(agent).post(reverse("problem_from_incidents"), {"next": "/incidents/?queue=open"})

    assert response["Location"] == "/incidents/?queue=open"


def test_auditors_and_requesters_cannot_create_problems_from_incidents(agent, auditor, requester):
    incident = make_incident(agent)
    for person in (auditor, requester):
        with assert_nothing_written(Problem):
            response = client_of(person).post(reverse("problem_from_incidents"), {"incidents": [incident.pk]})
        assert response.status_code == 403
    queue = client_of(auditor).get(reverse("incident_list"), {"queue": "open"}).content.decode()
    assert 'data-bulk-action="problem"' not in queue


def test_a_major_incident_without_a_problem_records_why_none_is_needed(agent, team_lead):
    incident = incident_services.incident_promote_major(actor=team_lead, incident=make_incident(agent),
                                                        reason="Mail down for everyone")

    before = incident_page(agent, incident).content.decode()
    client_of(agent).post(reverse("problem_incident_waive", args=[incident.pk]), {"reason": "Power cut, no defect."})
    after = incident_page(agent, incident).content.decode()

    assert 'id="problem-waiver-form"' in before
    assert ProblemWaiver.objects.get().reason == "Power cut, no defect."
    assert 'id="problem-waiver"' in after and "Power cut, no defect." in after
    assert 'id="problem-waiver-form"' not in after


def test_a_waiver_without_a_reason_is_refused(agent, team_lead):
    incident = incident_services.incident_promote_major(actor=team_lead, incident=make_incident(agent),
                                                        reason="Mail down")

    with assert_nothing_written(ProblemWaiver):
        response = client_of(agent).post(reverse("problem_incident_waive", args=[incident.pk]), {"reason": ""},
                                         follow=True)

    assert "Say why no problem is needed." in response.content.decode()


def test_the_incident_picker_finds_incidents_by_number_and_text(agent):
    incident = make_incident(agent, short_description="Printer on fire")

    found = client_of(agent).get(reverse("problem_incident_search"), {"q": "printer"}).json()

    assert found == {"results": [{"value": incident.pk, "text": f"{incident.number} Printer on fire"}]}
