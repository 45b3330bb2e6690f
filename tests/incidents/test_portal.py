"""The self-service portal: requesters report, follow, comment on, confirm and reopen their own incidents."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.choices import Channel, IncidentState, Urgency
from incidents.models import Incident
from itsm.choices import JournalKind, Role
from itsm.models import Attachment, JournalEntry
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.factories import UserFactory
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db

# Every portal URL that names an incident (and the method it answers).
INCIDENT_URLS = [
    ("portal_incident_detail", "get"),
    ("portal_incident_comment", "post"),
    ("portal_incident_confirm", "post"),
    ("portal_incident_reopen", "post"),
    ("portal_incident_attach", "post"),
]


@pytest.fixture
def service():
    return make_service(name="Email", catalogue_status="live")


@pytest.fixture
def signed_in(client, requester):
    client.force_login(requester)
    return client


def timeline_of(incident):
    return list(JournalEntry.objects.filter(object_id=incident.pk, content_type__model="incident")
                .order_by("pk").values_list("kind", "body"))


def test_a_requester_reports_an_incident(signed_in, requester, service):
    # when the requester fills in the short form
    response = signed_in.post(reverse("portal_incident_create"), {
        "short_description": "Cannot send mail", "description": "Since 9:00", "service": service.pk,
        "urgency": Urgency.HIGH, "contact_phone": "+86 21 5555",
    })

    # then the incident is theirs, from the portal, prioritised by the matrix, and they see it
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal_incident_detail", args=[incident.pk])
    assert (incident.caller, incident.channel, incident.service, incident.urgency, incident.priority) == (
        requester, Channel.PORTAL, service, Urgency.HIGH, 3)
    assert (incident.short_description, incident.description, incident.contact_phone) == (
        "Cannot send mail", "Since 9:00", "+86 21 5555")
    page = signed_in.get(response["Location"])
    assert "Cannot send mail" in page.content.decode()


def test_the_report_form_offers_only_live_catalogue_services(signed_in, service):
    # given a service still in the pipeline and an application CI
    pipeline = make_service(name="Video calls", catalogue_status="pipeline")

    response = signed_in.get(reverse("portal_incident_create"))

    assert list(response.context["form"].fields["service"].queryset) == [service]
    assert pipeline.name not in response.content.decode()


def test_a_report_without_a_description_is_refused_and_nothing_is_written(signed_in):
    with assert_nothing_written():
        response = signed_in.post(reverse("portal_incident_create"), {"short_description": "", "urgency": 3})

    assert response.status_code == 200
    assert "short_description" in response.context["form"].errors


def test_a_requester_lists_only_their_own_incidents(signed_in, requester, agent):
    # given one incident of the requester, one of somebody else, one resolved of the requester
    mine = make_incident(agent, caller=requester, short_description="My laptop")
    make_incident(agent, short_description="Someone else's printer")
    done = make_incident(agent, caller=requester, short_description="My VPN")
    resolve(agent, done)

    # when they open the portal (open incidents) and the "all" tab
    open_page = signed_in.get(reverse("portal_incident_list"))
    all_page = signed_in.get(reverse("portal_incident_list") + "?show=all")

    # then they see theirs only; the resolved one is waiting for their confirmation
    assert list(open_page.context["incidents"]) == [mine]
    assert open_page.context["awaiting"] == 1
    assert set(all_page.context["incidents"]) == {mine, done}
    assert "Someone else" not in all_page.content.decode()


def test_the_detail_page_shows_public_entries_only(signed_in, requester, agent):
    # given a comment and a work note
    from incidents import services

    incident = make_incident(agent, caller=requester)
    services.incident_comment(actor=agent, incident=incident, body="We are on it")
    services.incident_comment(actor=agent, incident=incident, body="Secret router password", internal=True)

    response = signed_in.get(reverse("portal_incident_detail", args=[incident.pk]))

    text = response.content.decode()
    assert "We are on it" in text
    assert "Secret router password" not in text
    assert [e.kind for e in response.context["journal"]] == [JournalKind.COMMENT]


def test_a_requester_comments(signed_in, requester, agent):
    incident = make_incident(agent, caller=requester)

    response = signed_in.post(reverse("portal_incident_comment", args=[incident.pk]), {"body": "It happens again"})

    assert response.status_code == 302
    assert timeline_of(incident)[-1] == (JournalKind.COMMENT, "It happens again")
    assert JournalEntry.objects.get(body="It happens again").is_public


def test_an_empty_comment_writes_nothing(signed_in, requester, agent):
    incident = make_incident(agent, caller=requester)

    with assert_nothing_written():
        signed_in.post(reverse("portal_incident_comment", args=[incident.pk]), {"body": "  "})


def test_a_requester_confirms_a_resolution(signed_in, requester, agent):
    # given a resolved incident
    incident = make_incident(agent, caller=requester)
    resolve(agent, incident)
    page = signed_in.get(reverse("portal_incident_detail", args=[incident.pk]))
    assert page.context["can_confirm"] and page.context["can_reopen"]

    # when the requester confirms
    response = signed_in.post(reverse("portal_incident_confirm", args=[incident.pk]))

    # then it is closed
    incident.refresh_from_db()
    assert response.status_code == 302
    assert incident.state == IncidentState.CLOSED
    assert incident.closed_at is not None


def test_a_requester_reopens_a_resolution_with_a_reason(signed_in, requester, agent):
    incident = make_incident(agent, caller=requester)
    resolve(agent, incident)

    signed_in.post(reverse("portal_incident_reopen", args=[incident.pk]), {"reason": "Still no mail"})

    incident.refresh_from_db()
    assert (incident.state, incident.reopen_count) == (IncidentState.IN_PROGRESS, 1)
    assert timeline_of(incident)[-1] == (JournalKind.STATE_CHANGE, "Still no mail")


def test_reopening_without_a_reason_is_refused(signed_in, requester, agent):
    incident = make_incident(agent, caller=requester)
    resolve(agent, incident)

    with assert_nothing_written():
        response = signed_in.post(reverse("portal_incident_reopen", args=[incident.pk]), {"reason": ""}, follow=True)

    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert "Say why the problem is not solved" in response.content.decode()


def test_confirming_an_incident_that_is_not_resolved_is_refused_with_a_message(signed_in, requester, agent):
    incident = make_incident(agent, caller=requester)

    with assert_nothing_written():
        response = signed_in.post(reverse("portal_incident_confirm", args=[incident.pk]), follow=True)

    incident.refresh_from_db()
    assert incident.state == IncidentState.NEW
    assert "cannot be moved" in response.content.decode()
    assert not response.context["can_confirm"]


def test_a_requester_attaches_a_file_and_downloads_it(signed_in, requester, agent):
    incident = make_incident(agent, caller=requester)

    signed_in.post(reverse("portal_incident_attach", args=[incident.pk]),
                   {"file": SimpleUploadedFile("error.txt", b"stack trace", content_type="text/plain")})

    attachment = Attachment.objects.get()
    response = signed_in.get(reverse("portal_attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"stack trace"


@pytest.mark.parametrize(("name", "method"), INCIDENT_URLS)
def test_another_requesters_incident_is_not_found_on_every_portal_url(signed_in, agent, name, method):
    # given an incident of another requester, resolved so that every step would apply
    other = make_incident(agent, caller=UserFactory(username="other", roles=[Role.REQUESTER]))
    resolve(agent, other)
    before = (timeline_of(other), Attachment.objects.count())

    response = getattr(signed_in, method)(reverse(name, args=[other.pk]), {"body": "x", "reason": "x"})

    other.refresh_from_db()
    assert response.status_code == 404
    assert other.state == IncidentState.RESOLVED
    assert (timeline_of(other), Attachment.objects.count()) == before


def test_another_requesters_attachment_is_not_found(signed_in, agent):
    from incidents import services

    other = make_incident(agent, caller=UserFactory(username="other", roles=[Role.REQUESTER]))
    attachment = services.incident_attach(actor=agent, incident=other,
                                          upload=SimpleUploadedFile("secret.txt", b"x", content_type="text/plain"))

    response = signed_in.get(reverse("portal_attachment_download", args=[attachment.pk]))

    assert response.status_code == 404


def test_a_missing_incident_is_not_found(signed_in):
    assert signed_in.get(reverse("portal_incident_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.ADMINISTRATOR])
def test_staff_are_refused_the_portal(client, make_user, role):
    client.force_login(make_user(role))

    assert client.get(reverse("portal_incident_list")).status_code == 403
    assert client.get(reverse("portal_incident_create")).status_code == 403


def test_a_requester_who_is_also_staff_sees_only_their_own_incidents_in_the_portal(client, make_user, agent):
    both = make_user(Role.REQUESTER, Role.AGENT, username="both")
    make_incident(agent, short_description="Not theirs")
    client.force_login(both)

    response = client.get(reverse("portal_incident_list") + "?show=all")

    assert list(response.context["incidents"]) == []


def test_the_list_takes_a_constant_number_of_queries(signed_in, requester, agent, django_assert_max_num_queries):
    team = make_team_with(agent)
    for n in range(5):
        make_incident(agent, caller=requester, short_description=f"Problem {n}", assignment_group=team)

    with django_assert_max_num_queries(12):
        response = signed_in.get(reverse("portal_incident_list"))

    assert len(response.context["incidents"]) == 5


# --- in a real browser ------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_requester_reports_an_incident_and_confirms_its_resolution_in_the_browser(page, sign_in, make_user):
    from playwright.sync_api import expect

    requester = make_user(Role.REQUESTER, username="rita")
    agent = make_user(Role.AGENT, username="andy")
    make_service(name="Email", catalogue_status="live")
    sign_in(page, requester)

    # reports a problem from the menu
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My incidents").click()
    page.get_by_role("link", name="Report a problem").first.click()
    page.get_by_label("What is wrong?").fill("Outlook does not start")
    page.get_by_label("Details").fill("Since the update this morning.")
    page.get_by_label("Service").select_option(label="Email")
    page.get_by_label("How urgent is it for you?").select_option(label="High: I cannot work")
    page.get_by_role("button", name="Send").click()

    incident = Incident.objects.get()
    expect(page.get_by_role("status")).to_contain_text(f"Your incident {incident.number} has been recorded")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Outlook does not start")
    assert (incident.caller, incident.urgency) == (requester, Urgency.HIGH)

    # the service desk resolves it; the requester confirms
    resolve(agent, incident, notes="Repaired the Office installation.")
    page.reload()
    expect(page.locator("#resolution")).to_contain_text("Repaired the Office installation.")
    page.get_by_role("button", name="Yes, confirm the resolution").click()

    expect(page.get_by_role("status")).to_contain_text("The incident is closed.")
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED
    expect(page.locator("#timeline")).to_contain_text("Resolution confirmed by the caller")
