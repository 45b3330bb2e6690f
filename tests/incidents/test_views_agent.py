"""The service desk's incident pages: queues, bulk actions, saved filters, the incident page."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import selectors, services
from incidents.choices import IncidentState
from incidents.models import Incident, SavedFilter
from itsm.choices import Role
from itsm.models import JournalEntry
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(agent):
    return make_team_with(agent, name="Service desk")


@pytest.fixture
def network(team_lead):
    return make_team_with(team_lead, name="Network")


def numbers(response):
    return [incident.number for incident in response.context["object_list"]]


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- queues ---------------------------------------------------------------------------------------

def test_queues_show_each_person_their_rows(client, agent, team_lead, desk, network):
    mine = make_incident(agent, assignment_group=desk, assignee=agent, short_description="mine")
    unassigned = make_incident(agent, assignment_group=desk, short_description="desk, nobody")
    others = make_incident(agent, assignment_group=network, short_description="network, nobody")
    major = make_incident(agent, assignment_group=network, assignee=team_lead, short_description="major")
    services.incident_promote_major(actor=agent, incident=major, reason="Whole site down")
    solved = make_incident(agent, assignment_group=desk, assignee=agent, short_description="solved")
    resolve(agent, solved)
    client.force_login(agent)

    default = client.get(reverse("incident_list"))
    queues = {q: numbers(client.get(reverse("incident_list"), {"queue": q}))
              for q in ("mine", "unassigned", "open", "major", "resolved")}

    assert numbers(default) == [mine.number]  # a worker lands on their own work
    counts = {tab["value"]: tab["count"] for tab in default.context["queue_tabs"]}
    assert counts == {"mine": 1, "unassigned": 1, "triage": 0, "open": 4, "major": 1, "resolved": 1, "": None}
    assert queues["mine"] == [mine.number]
    assert queues["unassigned"] == [unassigned.number]
    assert set(queues["open"]) == {mine.number, unassigned.number, others.number, major.number}
    assert queues["major"] == [major.number]
    assert queues["resolved"] == [solved.number]
    client.force_login(team_lead)
    assert numbers(client.get(reverse("incident_list"), {"queue": "unassigned"})) == [others.number]


def test_the_shared_counts_lag_at_most_their_window_while_the_lists_are_live(client, agent, desk, monkeypatch,
                                                                             settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # its clock
    clock = [1_000_000.0]
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: clock[0])
    make_incident(agent, assignment_group=desk, assignee=agent)
    client.force_login(agent)

    def open_tab():
        response = client.get(reverse("incident_list"), {"queue": "open"})
        return {tab["value"]: tab["count"] for tab in response.context["queue_tabs"]}["open"], len(numbers(response))

    assert open_tab() == (1, 1)
    make_incident(agent, assignment_group=desk, assignee=agent)
    assert open_tab() == (1, 2)  # the count is the one of a moment ago; the rows are live
    clock[0] += selectors.SHARED_COUNT_SECONDS + 1
    assert open_tab() == (2, 2)


def test_the_queue_filters_and_sorts(client, agent, desk, network):
    low = make_incident(agent, impact=3, urgency=3, assignment_group=desk, short_description="Printer jam")
    high = make_incident(agent, impact=1, urgency=1, assignment_group=network, short_description="Core switch")
    client.force_login(agent)

    by_priority = numbers(client.get(reverse("incident_list"), {"queue": "open", "sort": "priority"}))
    reversed_ = numbers(client.get(reverse("incident_list"), {"queue": "open", "sort": "-priority"}))
    by_group = numbers(client.get(reverse("incident_list"), {"queue": "open", "assignment_group": desk.pk}))
    by_text = numbers(client.get(reverse("incident_list"), {"q": "switch"}))
    by_priority_filter = numbers(client.get(reverse("incident_list"), {"priority": ["1"]}))

    assert by_priority == [high.number, low.number]
    assert reversed_ == [low.number, high.number]
    assert by_group == [low.number]
    assert by_text == [high.number] == by_priority_filter


def test_the_service_filter_is_labelled_for_people_not_as_the_api_s_id(client, agent):
    client.force_login(agent)

    page = client.get(reverse("incident_list"), {"queue": "open"}).content.decode()

    assert '>Service</label>' in page
    assert "Service (CI id)" not in page


def test_the_service_filter_holds_only_the_chosen_service_and_searches_the_others(client, agent):
    mail, payroll = make_service(name="Mail"), make_service(name="Payroll")
    client.force_login(agent)

    unfiltered = client.get(reverse("incident_list"), {"queue": "open"}).content.decode()
    filtered = client.get(reverse("incident_list"), {"queue": "open", "service": mail.pk}).content.decode()

    def service_select(page):
        select = page[page.index('<select name="service"'):]
        return select[:select.index("</select>")]

    assert service_select(unfiltered).count("<option") == 1  # "Any"
    assert f'value="{mail.pk}" selected' in service_select(filtered)
    assert f'value="{payroll.pk}"' not in service_select(filtered)
    assert f'data-search-url="{reverse("incident_ci_search")}?service=1"' in service_select(unfiltered)


def test_an_htmx_filter_change_renders_only_the_results(client, agent):
    make_incident(agent)
    client.force_login(agent)

    response = client.get(reverse("incident_list"), {"queue": "open"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="list-results">')
    assert "queue-tabs" not in content
    assert 'name="incidents"' in content  # the rows keep their tick boxes for the bulk form


def test_an_htmx_filter_change_reads_no_choice_lists_and_the_page_reads_the_people_once(client, agent, desk):
    # The results part shows neither the filters nor the bulk form: their teams, people,
    # categories and services are not read. The full page reads the people once for both.
    make_incident(agent, assignment_group=desk, assignee=agent)
    client.force_login(agent)
    url = reverse("incident_list") + "?queue=open"
    client.get(url)  # warm caches (content types, sessions, queue counts)

    with CaptureQueriesContext(connection) as page:
        client.get(url)
    with CaptureQueriesContext(connection) as partial:
        client.get(url, HTTP_HX_REQUEST="true")

    def people_reads(queries):
        return [q for q in queries if 'FROM "itsm_user" INNER JOIN "itsm_user_groups"' in q["sql"]]

    assert len(people_reads(page.captured_queries)) == 1
    assert people_reads(partial.captured_queries) == []
    assert not [q for q in partial.captured_queries if 'FROM "itsm_team"' in q["sql"]]
    assert len(partial.captured_queries) <= len(page.captured_queries) - 5


def test_a_queue_row_shows_its_incident_with_everything_escaped(client, agent, desk):
    incident = make_incident(agent, caller=None, contact_name="Ann <ann@example.com>", assignment_group=desk,
                             short_description='<img src=x onerror="alert(1)"> printer')
    services.incident_promote_major(actor=agent, incident=incident, reason="Floor 3 is down")
    client.force_login(agent)

    content = client.get(reverse("incident_list"), {"queue": "open"}).content.decode()

    row = content[content.index(f'<tr data-incident="{incident.number}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="incident-major-row"' in row and '<span class="badge bg-red">Major</span>' in row
    # Escaped (the row fragment is Jinja2: &#34; for a double quote, where Django writes &quot;).
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; printer" in row and "<img" not in row
    assert "Ann &lt;ann@example.com&gt;" in row
    assert f'aria-label="Select {incident.number}"' in row
    assert f'href="{reverse("incident_detail", args=[incident.pk])}"' in row
    assert f"<td>{desk.name}</td><td>—</td>" in row  # the group, nobody assigned yet
    assert '<td class="text-nowrap sla-cell"><span class="text-secondary">—</span></td>' in row  # no SLA


def test_the_queue_exports_csv(client, agent):
    incident = make_incident(agent, short_description="=cmd|calc")
    client.force_login(agent)

    response = client.get(reverse("incident_list"), {"queue": "open", "export": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Number", "Short description", "State"]
    assert rows[1][:3] == [incident.number, "'=cmd|calc", "New"]
    assert len(rows) == 2


def test_the_queue_runs_a_constant_number_of_queries(client, agent, desk, django_assert_num_queries):
    client.force_login(agent)
    make_incident(agent, assignment_group=desk, assignee=agent)
    url = reverse("incident_list") + "?queue=open"
    client.get(url)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for n in range(59):
        make_incident(agent, assignment_group=desk, assignee=agent, short_description=f"incident {n}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(url).context["object_list"]) == 50  # a full page of a longer queue


def test_requesters_are_refused_the_queues(client, requester):
    client.force_login(requester)

    assert client.get(reverse("incident_list")).status_code == 403


def test_auditors_read_the_queues_without_bulk_or_create_controls(client, auditor, agent):
    incident = make_incident(agent)
    client.force_login(auditor)

    response = client.get(reverse("incident_list"))

    content = response.content.decode()
    assert numbers(response) == [incident.number]  # auditors land on every open incident
    assert 'id="bulk-form"' not in content
    assert reverse("incident_create") not in content
    assert 'name="incidents"' not in content
    assert 'id="saved-filter-form"' not in content


# --- bulk actions ---------------------------------------------------------------------------------

def test_bulk_assign_assigns_each_and_reports_the_refused_one(client, agent, desk, caller_user):
    ok = make_incident(agent, caller=caller_user)
    closed = make_incident(agent, caller=caller_user)
    services.incident_transition(actor=agent, incident=closed, name="cancel")
    client.force_login(agent)

    response = client.post(reverse("incident_bulk"), {
        "incidents": [ok.pk, closed.pk], "operation": "assign", "assignment_group": desk.pk, "assignee": agent.pk,
        "next": reverse("incident_list") + "?queue=open"}, follow=True)

    ok.refresh_from_db()
    closed.refresh_from_db()
    assert response.redirect_chain[-1][0] == reverse("incident_list") + "?queue=open"
    assert (ok.assignment_group, ok.assignee) == (desk, agent)
    assert closed.assignment_group is None
    assert messages_of(response) == [
        f"Done for 1: {ok.number}.",
        f"Refused for 1: {closed.number}: {closed.number} is Cancelled and can no longer be changed.",
    ]


def test_bulk_resolve_needs_the_resolution_and_refuses_what_cannot_move(client, agent, caller_user):
    first = make_incident(agent, caller=caller_user)
    second = make_incident(agent, caller=caller_user)
    resolve(agent, second)
    client.force_login(agent)

    response = client.post(reverse("incident_bulk"), {
        "incidents": [first.pk, second.pk], "operation": "transition", "transition": "resolve",
        "resolution_code": "solved_workaround", "resolution_notes": "Rebooted the gateway."}, follow=True)

    first.refresh_from_db()
    assert (first.state, first.resolution_code, first.resolution_notes) == (
        IncidentState.RESOLVED, "solved_workaround", "Rebooted the gateway.")
    text = " ".join(messages_of(response))
    assert f"Done for 1: {first.number}." in text
    assert f"Refused for 1: {second.number}:" in text and "while it is Resolved" in text


def test_bulk_hold_without_a_reason_is_refused_for_each(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    response = client.post(reverse("incident_bulk"), {
        "incidents": [incident.pk], "operation": "transition", "transition": "hold"}, follow=True)

    assert Incident.objects.get().state == IncidentState.NEW
    assert messages_of(response)[0].startswith(f"Refused for 1: {incident.number}:")


def test_bulk_without_ticked_rows_says_so(client, agent):
    client.force_login(agent)

    response = client.post(reverse("incident_bulk"), {"operation": "assign"}, follow=True)

    assert "Tick at least one incident." in messages_of(response)[0]


def test_auditors_cannot_bulk(client, auditor, agent, desk):
    incident = make_incident(agent)
    client.force_login(auditor)

    response = client.post(reverse("incident_bulk"), {"incidents": [incident.pk], "operation": "assign",
                                                      "assignment_group": desk.pk})

    assert response.status_code == 403
    assert Incident.objects.get().assignment_group is None


# --- saved filters --------------------------------------------------------------------------------

def test_a_saved_filter_round_trip(client, agent, team_lead):
    client.force_login(agent)

    response = client.post(reverse("incident_saved_filter_create"),
                           {"name": "P1 open", "query": "queue=open&priority=1&assignee=&page=3"})
    saved = SavedFilter.objects.get()
    listed = client.get(reverse("incident_list")).content.decode()
    client.force_login(team_lead)
    with assert_nothing_written():
        someone_else = client.post(reverse("incident_saved_filter_delete", args=[saved.pk]))
    client.force_login(agent)
    client.post(reverse("incident_saved_filter_delete", args=[saved.pk]))

    assert response["Location"] == reverse("incident_list") + "?queue=open&priority=1"
    assert (saved.owner, saved.name) == (agent, "P1 open")
    assert 'href="?queue=open&amp;priority=1"' in listed and "P1 open" in listed
    assert someone_else.status_code == 404
    assert not SavedFilter.objects.exists()


# --- the incident page ----------------------------------------------------------------------------

@pytest.fixture
def caller_user(make_user):
    return make_user(Role.REQUESTER, username="caller")


def test_the_page_shows_the_timeline_of_every_kind(client, agent, desk, caller_user):
    incident = make_incident(agent, caller=caller_user, short_description="VPN down")
    services.incident_assign(actor=agent, incident=incident, group=desk, assignee=agent)
    services.incident_comment(actor=agent, incident=incident, body="We are looking into it.")
    services.incident_comment(actor=agent, incident=incident, body="Gateway logs show drops.", internal=True)
    services.incident_update(actor=agent, incident=incident, data={"impact": 1})
    services.incident_transition(actor=agent, incident=incident, name="start")
    services.incident_attach(actor=agent, incident=incident,
                             upload=SimpleUploadedFile("trace.txt", b"trace", content_type="text/plain"))
    client.force_login(agent)

    response = client.get(reverse("incident_detail", args=[incident.pk]))

    content = response.content.decode()
    kinds = [item["kind"] for item in response.context["timeline"]]
    assert {"comment", "work_note", "assignment", "state_change", "attachment", "system", "history"} <= set(kinds)
    assert kinds[0] == "attachment"  # newest first
    assert "We are looking into it." in content and "Gateway logs show drops." in content
    assert 'data-kind="work_note"' in content
    history = [item for item in response.context["timeline"] if item["kind"] == "history"]
    assert any(c["name"] == "impact" and c["new"] == "1 - High" for item in history for c in item["row"]["changes"])
    assert "trace.txt" in content


def test_the_page_offers_only_the_allowed_steps(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()

    for name in ("start", "cancel"):
        assert f'name="transition" value="{name}"' in content
    for name in ("hold", "resolve"):
        assert f'name="transition" value="{name}"' in content  # in their panels with the fields
        assert f'data-open-transition="{name}"' in content
    for name in ("resume", "close", "confirm", "reopen"):
        assert f'value="{name}"' not in content
    assert 'id="assign-to-me"' in content


def test_assign_to_me_takes_the_incident(client, agent, desk, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    response = client.post(reverse("incident_assign_to_me", args=[incident.pk]), {"version": incident.version})

    incident.refresh_from_db()
    assert response["Location"] == reverse("incident_detail", args=[incident.pk])
    assert (incident.assignment_group, incident.assignee) == (desk, agent)


def test_assign_to_someone_outside_the_group_shows_the_error_on_the_field(client, agent, team_lead, desk,
                                                                          caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    response = client.post(reverse("incident_assign", args=[incident.pk]), {
        "assignment_group": desk.pk, "assignee": team_lead.pk, "version": incident.version})

    assert response.status_code == 400
    assert f"{team_lead} is not a member of {desk}." in response.content.decode()
    assert 'class="collapse show" id="panel-assign"' in response.content.decode()
    assert Incident.objects.get().assignee is None


def test_resolving_needs_a_code_and_notes(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)
    url = reverse("incident_transition", args=[incident.pk])

    refused = client.post(url, {"transition": "resolve", "resolution_notes": "Fixed", "version": incident.version})
    accepted = client.post(url, {"transition": "resolve", "resolution_code": "solved_permanently",
                                 "resolution_notes": "Replaced the PSU.", "version": incident.version})

    assert refused.status_code == 400
    content = refused.content.decode()
    assert 'id="panel-transition-resolve"' in content and "collapse show" in content
    assert "This field is required." in content
    assert "Fixed</textarea>" in content  # the notes typed are kept
    assert accepted.status_code == 302
    incident.refresh_from_db()
    assert (incident.state, incident.resolution_code) == (IncidentState.RESOLVED, "solved_permanently")


def test_a_stale_step_is_refused_with_a_reload_message(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    old = incident.version
    services.incident_update(actor=agent, incident=incident, data={"description": "more"})
    client.force_login(agent)

    response = client.post(reverse("incident_transition", args=[incident.pk]), {
        "transition": "hold", "on_hold_reason": "awaiting_caller", "version": old})

    assert response.status_code == 400
    assert "was changed by someone else" in response.content.decode()
    assert Incident.objects.get().state == IncidentState.NEW


def test_a_step_not_allowed_from_the_state_is_a_message(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    response = client.post(reverse("incident_transition", args=[incident.pk]), {"transition": "close"}, follow=True)

    assert "cannot be moved by “Close” while it is New" in messages_of(response)[0]


def test_a_work_note_is_internal_and_a_comment_public(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)
    url = reverse("incident_comment", args=[incident.pk])

    client.post(url, {"body": "Call me back", "internal": ""})
    client.post(url, {"body": "Checked the logs", "internal": "on"})
    empty = client.post(url, {"body": ""})

    entries = dict(JournalEntry.objects.filter(kind__in=["comment", "work_note"]).values_list("body", "is_public"))
    assert entries == {"Call me back": True, "Checked the logs": False}
    assert empty.status_code == 400


def test_major_incident_promotion_banner_communication_and_end(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    no_reason = client.post(reverse("incident_major", args=[incident.pk]), {"action": "promote", "reason": ""})
    client.post(reverse("incident_major", args=[incident.pk]), {"action": "promote", "reason": "All sites down",
                                                                "version": incident.version})
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    client.post(reverse("incident_communicate", args=[incident.pk]),
                {"audience": "stakeholders", "body": "Next update at 14:00"})
    after = client.get(reverse("incident_detail", args=[incident.pk]))
    client.post(reverse("incident_major", args=[incident.pk]), {"action": "demote", "reason": "Was one site"})

    assert no_reason.status_code == 400
    assert 'id="major-banner"' in page and "All sites down" in page
    assert 'id="communication-form"' in page
    assert [i["kind"] for i in after.context["timeline"]][0] == "communication"
    assert "Next update at 14:00" in after.content.decode()
    assert Incident.objects.get().is_major is False


def test_communications_are_for_major_incidents_only(client, agent, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    with assert_nothing_written():
        client.post(reverse("incident_communicate", args=[incident.pk]), {"body": "Hello"})


def test_children_and_parent_are_linked(client, agent, caller_user):
    parent = make_incident(agent, caller=caller_user, short_description="Outage")
    child = make_incident(agent, caller=caller_user, parent=parent, short_description="My mail")
    client.force_login(agent)

    parent_page = client.get(reverse("incident_detail", args=[parent.pk])).content.decode()
    child_page = client.get(reverse("incident_detail", args=[child.pk])).content.decode()

    assert f'data-child="{child.number}"' in parent_page
    assert 'id="parent-incident"' in child_page and parent.number in child_page


# --- attachments ----------------------------------------------------------------------------------

def test_attachments_upload_download_and_refusals(client, agent, caller_user, make_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)

    client.post(reverse("incident_attach", args=[incident.pk]),
                {"file": SimpleUploadedFile("error.log", b"boom", content_type="text/plain")})
    refused = client.post(reverse("incident_attach", args=[incident.pk]),
                          {"file": SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")})
    attachment = selectors.incident_attachments(incident).get()
    download = client.get(reverse("incident_attachment_download", args=[attachment.pk]))
    client.force_login(caller_user)
    own = client.get(reverse("incident_attachment_download", args=[attachment.pk]))
    client.force_login(make_user(Role.REQUESTER, username="stranger"))
    stranger = client.get(reverse("incident_attachment_download", args=[attachment.pk]))

    assert refused.status_code == 400
    assert "are not accepted" in refused.content.decode()
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"boom"
    assert "attachment" in download["Content-Disposition"]
    assert own.status_code == 200
    assert stranger.status_code == 404


# --- auditors ---------------------------------------------------------------------------------

def test_an_auditor_sees_the_page_without_buttons_and_every_post_is_refused(client, auditor, agent, desk,
                                                                            caller_user):
    incident = make_incident(agent, caller=caller_user, assignment_group=desk)
    services.incident_comment(actor=agent, incident=incident, body="internal detail", internal=True)
    client.force_login(auditor)

    response = client.get(reverse("incident_detail", args=[incident.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "internal detail" in content
    assert 'name="transition"' not in content
    for name in ("incident_update", "incident_assign", "incident_assign_to_me", "incident_comment",
                 "incident_attach", "incident_major", "incident_transition"):
        assert reverse(name, args=[incident.pk]) not in content
    for name, data in (("incident_transition", {"transition": "start"}), ("incident_comment", {"body": "x"}),
                       ("incident_assign_to_me", {}), ("incident_major", {"reason": "x"})):
        assert client.post(reverse(name, args=[incident.pk]), data).status_code == 403
    incident.refresh_from_db()
    assert (incident.state, incident.assignee, incident.is_major) == (IncidentState.NEW, None, False)


def test_requesters_get_403_on_the_agent_page(client, caller_user, agent):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(caller_user)

    assert client.get(reverse("incident_detail", args=[incident.pk])).status_code == 403


def test_the_incident_page_runs_the_same_queries_for_a_short_and_a_long_timeline(client, agent, team_lead,
                                                                                  desk, network, caller_user):
    incident = make_incident(agent, caller=caller_user)
    client.force_login(agent)
    url = reverse("incident_detail", args=[incident.pk])

    def work(rounds):
        for n in range(rounds):
            services.incident_comment(actor=agent, incident=incident, body=f"comment {n}")
            services.incident_assign(actor=agent, incident=incident, group=desk if n % 2 else network)
            services.incident_update(actor=agent, incident=incident, data={"impact": 1 + n % 3})

    work(2)
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    work(10)
    with CaptureQueriesContext(connection) as long:
        response = client.get(url)

    assert len(response.context["timeline"]) > 40
    assert len(long.captured_queries) == len(short.captured_queries)


def test_cancelling_from_the_incident_page_asks_for_confirmation_first(client, agent):
    incident = make_incident(agent)
    client.force_login(agent)

    html = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()

    assert f'data-confirm="Cancel {incident.number}?"' in html
