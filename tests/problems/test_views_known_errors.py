"""The known-error pages (list, suggestions, apply) and the trend-proposal pages, for each role."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from incidents.models import Category
from itsm.models import JournalEntry
from problems import services
from problems.choices import ProposalState
from problems.models import ProblemIncident, TrendProposal
from tests.assertions import assert_nothing_written
from tests.config_items.factories import link, make_ci, make_service
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem, publish

pytestmark = pytest.mark.django_db
LIST = "/problems/known-errors/"


def known_error(agent, manager, **data):
    return publish(manager, make_problem(agent, **data))


def test_the_known_error_list_shows_each_entry_with_its_counts(client, agent, problem_manager):
    entry = known_error(agent, problem_manager, short_description="Relay leaks sockets")
    services.known_error_apply(actor=agent, problem=entry, incident=make_incident(agent))
    make_problem(agent, short_description="Still being assessed")
    client.force_login(agent)

    page = client.get(LIST).content.decode()

    assert reverse("problem_known_error_list") == LIST
    assert entry.number in page and "Restart the mail relay." in page and "Still being assessed" not in page
    assert 'data-applied>1<' in page and 'data-spared>1<' in page


@override_settings(KNOWN_ERROR_STALE_DAYS=0)
def test_stale_known_errors_are_flagged_and_filtered(client, agent, problem_manager):
    stale = known_error(agent, problem_manager, short_description="No fix yet")
    fixed = known_error(agent, problem_manager, short_description="Has a fix")
    services.problem_update(actor=agent, problem=fixed, data={"fix": "Patched in CHG0001."})
    client.force_login(agent)

    page = client.get(LIST, {"stale": "true"}).content.decode()

    assert stale.number in page and fixed.number not in page and "data-stale" in page


def test_the_known_error_list_searches_root_causes_and_exports_csv(client, agent, problem_manager):
    leaking = publish(problem_manager, make_problem(agent), root_cause="Socket pool never shrinks.")
    other = publish(problem_manager, make_problem(agent), root_cause="Disk full.")
    client.force_login(agent)

    assert other.number not in client.get(LIST, {"q": "socket pool"}).content.decode()
    response = client.get(LIST, {"q": "socket pool", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [leaking.number]
    assert rows[1][3] == "Socket pool never shrinks."


def test_the_known_error_list_costs_the_same_queries_for_few_or_many(client, agent, problem_manager):
    category = Category.objects.create(name="Mail")
    known_error(agent, problem_manager, service=make_service(), category=category)
    client.force_login(agent)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(4):
        entry = known_error(agent, problem_manager, service=make_service(), category=category)
        services.known_error_apply(actor=agent, problem=entry, incident=make_incident(agent))
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).content.decode().count("data-known-error=") == 5

    assert len(many) == len(few)


def test_requesters_cannot_see_known_errors(client, requester):
    client.force_login(requester)

    assert client.get(LIST).status_code == 403
    assert client.get(reverse("problem_known_error_suggestions")).status_code == 403


def test_the_suggestions_of_an_incident_offer_apply_and_link(client, agent, problem_manager):
    app, database = make_ci(name="Mail app"), make_ci(name="Mail DB")
    link(app, database)
    entry = known_error(agent, problem_manager, cis=[database])
    incident = make_incident(agent, cis=[app])
    client.force_login(agent)

    fragment = client.get(reverse("problem_known_error_suggestions"), {"incident": incident.pk}).content.decode()

    assert entry.number in fragment and "A CI it depends on: Mail DB" in fragment
    assert "Restart the mail relay." in fragment and "Apply workaround and link" in fragment


def test_the_logging_form_asks_by_service_and_cis_and_offers_no_apply(client, agent, problem_manager):
    service = make_service()
    entry = known_error(agent, problem_manager, service=service)
    client.force_login(agent)

    fragment = client.get(reverse("problem_known_error_suggestions"), {"service": service.pk, "cis": ["x"]})

    assert entry.number in fragment.content.decode() and "data-apply-form" not in fragment.content.decode()


def test_applying_a_workaround_comments_the_incident_and_links_it(client, agent, problem_manager):
    entry = known_error(agent, problem_manager)
    incident = make_incident(agent)
    client.force_login(agent)

    response = client.post(reverse("problem_known_error_apply", args=[entry.pk]),
                           {"incident": incident.pk, "visibility": "internal"})

    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    link_row = ProblemIncident.objects.get(incident=incident)
    assert link_row.problem == entry and link_row.via_known_error and link_row.workaround_applied_by == agent
    note = JournalEntry.objects.filter(object_id=incident.pk, body__contains="Restart the mail relay.").get()
    assert note.is_public is False


def test_auditors_read_suggestions_but_cannot_apply(client, agent, problem_manager, auditor):
    entry = known_error(agent, problem_manager)
    incident = make_incident(agent)
    client.force_login(auditor)

    assert client.get(LIST).status_code == 200
    with assert_nothing_written(ProblemIncident):
        response = client.post(reverse("problem_known_error_apply", args=[entry.pk]), {"incident": incident.pk})
    assert response.status_code == 403


def test_the_incident_page_loads_the_known_error_panel(client, agent):
    incident = make_incident(agent)
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert f"/problems/known-errors/suggestions/?incident={incident.pk}" in page


# --- trend proposals ------------------------------------------------------------------------------

@pytest.fixture
def proposal(agent):
    printer, printing = make_ci(name="Printer 4F"), Category.objects.create(name="Printing")
    for text in ("Paper jam", "Toner streaks", "Offline again"):
        make_incident(agent, short_description=text, cis=[printer], category=printing)
    return services.trend_detect(threshold=3)[0]


def test_the_proposal_list_shows_pending_ones_and_decided_ones_on_their_tab(client, proposal, problem_manager):
    client.force_login(problem_manager)
    assert proposal.title in client.get("/problems/proposals/").content.decode()

    services.proposal_dismiss(actor=problem_manager, proposal=proposal, reason="Printer replaced")

    assert proposal.title not in client.get("/problems/proposals/").content.decode()
    assert proposal.title in client.get("/problems/proposals/", {"tab": "decided"}).content.decode()


def test_the_proposal_page_says_why_and_lists_the_incidents(client, proposal, auditor):
    client.force_login(auditor)

    page = client.get(f"/problems/proposals/{proposal.pk}/").content.decode()

    assert "Printer 4F" in page and "Paper jam" in page and "Offline again" in page
    assert "proposal-accept-form" not in page  # auditors read, never decide


def test_a_problem_manager_accepts_a_proposal_into_a_problem(client, proposal, problem_manager):
    client.force_login(problem_manager)
    assert "proposal-accept-form" in client.get(f"/problems/proposals/{proposal.pk}/").content.decode()

    response = client.post(f"/problems/proposals/{proposal.pk}/accept/")

    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED
    assert response.status_code == 302 and response["Location"] == f"/problems/{proposal.problem_id}/"
    again = client.post(f"/problems/proposals/{proposal.pk}/accept/", follow=True)
    assert "already accepted" in again.content.decode()


def test_agents_cannot_decide_proposals(client, proposal, agent):
    client.force_login(agent)

    with assert_nothing_written(ProblemIncident):
        assert client.post(f"/problems/proposals/{proposal.pk}/accept/").status_code == 403
    assert client.post(f"/problems/proposals/{proposal.pk}/dismiss/", {"reason": "no"}).status_code == 403


def test_dismissing_needs_a_reason(client, proposal, problem_manager):
    client.force_login(problem_manager)

    refused = client.post(f"/problems/proposals/{proposal.pk}/dismiss/", {"reason": ""})
    assert refused.status_code == 400 and TrendProposal.objects.get().state == ProposalState.PENDING

    done = client.post(f"/problems/proposals/{proposal.pk}/dismiss/", {"reason": "Printer replaced tomorrow"})
    assert done.status_code == 302
    assert TrendProposal.objects.get().dismiss_reason == "Printer replaced tomorrow"


def test_the_logging_form_has_a_known_error_box_that_follows_service_and_cis(client, agent):
    client.force_login(agent)

    page = client.get("/incidents/new/").content.decode()

    assert 'id="known-errors-card"' in page and "/problems/known-errors/suggestions/" in page
    assert 'hx-include="#id_service, #id_cis"' in page
