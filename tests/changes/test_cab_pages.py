"""CAB pages and API: boards, planning, the meeting page (agenda with risk, window and conflicts,
attendance, minutes, decisions) and the change page's agenda items."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from changes.models import CabBoard, CabMeeting, ChangeConflict
from changes.selectors_approvals import latest_authorisation
from changes.services import cab
from itsm.approval_models import ApprovalState
from itsm.choices import Role
from tests.changes.factories_approvals import make_board, make_rule, under_authorisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, change_manager, admin_user):
    return {
        "manager": change_manager, "admin": admin_user,
        "requester": make_user(Role.AGENT, username="rita"),
        "chair": make_user(Role.CAB_MEMBER, username="chair"),
        "ann": make_user(Role.CAB_MEMBER, username="ann"),
    }


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def meeting(people):
    board = make_board(people["admin"], name="Weekly CAB", members=[people["ann"]], chair=people["chair"])
    make_rule(people["admin"], name="CAB", board=board)
    start = timezone.now() + dt.timedelta(hours=2)
    return cab.meeting_create(actor=people["chair"], board=board, starts_at=start,
                              period_end=start + dt.timedelta(days=7))


def test_administrators_create_boards_with_a_recurrence(people):
    client = browser(people["admin"])
    response = client.post(reverse("change_cab_board_create"), {
        "name": "Emergency CAB", "members": [people["ann"].pk], "chair": people["chair"].pk,
        "first_meeting": "2030-01-07T09:00", "duration_minutes": 30, "rrule": "freq=daily;byday=mo,tu,we,th,fr",
        "time_zone": "Europe/Paris", "is_emergency": "on", "is_active": "on"})
    board = CabBoard.objects.get(name="Emergency CAB")
    assert response.status_code == 302 and response["Location"] == reverse("change_cab_board_detail",
                                                                            args=[board.pk])
    assert board.rrule == "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"
    assert set(board.members.all()) == {people["ann"], people["chair"]}
    bad = client.post(reverse("change_cab_board_create"), {"name": "Bad", "rrule": "FREQ=MINUTELY",
                                                           "time_zone": "UTC", "duration_minutes": 30})
    assert bad.status_code == 200 and not CabBoard.objects.filter(name="Bad").exists()
    assert browser(people["manager"]).get(reverse("change_cab_board_create")).status_code == 403
    listing = browser(people["ann"]).get(reverse("change_cab_board_list")).content.decode()
    assert "Emergency CAB" in listing


def test_the_chair_plans_meetings_from_the_board_page(people):
    board = make_board(people["admin"], members=[people["ann"]], chair=people["chair"],
                       first_meeting=timezone.now() + dt.timedelta(days=1), rrule="FREQ=WEEKLY")
    client = browser(people["chair"])
    page = client.get(reverse("change_cab_board_detail", args=[board.pk])).content.decode()
    assert 'id="plan-form"' in page
    until = (timezone.localtime() + dt.timedelta(days=19)).strftime("%Y-%m-%dT%H:%M")  # meetings in 1, 8, 15 days
    response = client.post(reverse("change_cab_meetings_plan", args=[board.pk]), {"until": until}, follow=True)
    assert "3 meetings planned." in response.content.decode()
    assert CabMeeting.objects.filter(board=board).count() == 3
    # a member who does not chair sees no planning and is refused with a message
    assert 'id="plan-form"' not in browser(people["ann"]).get(
        reverse("change_cab_board_detail", args=[board.pk])).content.decode()
    refused = browser(people["ann"]).post(reverse("change_cab_meetings_plan", args=[board.pk]), {"until": until},
                                          follow=True)
    assert "Only the chair of" in refused.content.decode()


def test_the_meeting_page_runs_the_agenda(people, meeting):
    change = under_authorisation(people["manager"], people["requester"], risk="high")
    ChangeConflict.objects.create(change=change, kind="blackout", key="w1", detail="Inside the year-end freeze",
                                  detected_at=timezone.now(), needs_override=True)
    client = browser(people["chair"])
    url = reverse("change_cab_meeting_detail", args=[meeting.pk])
    response = client.post(reverse("change_cab_agenda_build", args=[meeting.pk]), follow=True)
    page = response.content.decode()
    assert "1 change added to the agenda." in page
    assert change.number in page and "High risk" in page and "Inside the year-end freeze" in page
    assert 'class="badge bg-purple-lt agenda-awaiting"' in page

    client.post(reverse("change_cab_meeting_record", args=[meeting.pk]), {
        "version": meeting.version, "attendees": [people["ann"].pk, people["chair"].pk],
        "minutes": "Quorate.", "state": "planned"})
    item = meeting.items.get()
    response = client.post(reverse("change_cab_item_decide", args=[item.pk]),
                           {"decision": "approved", "notes": "Approved with the freeze override"}, follow=True)
    assert f"{change.number}: approved, minuted." in response.content.decode()
    assert latest_authorisation(change).state == ApprovalState.APPROVED

    page = client.get(url).content.decode()
    assert "Quorate." in page and 'id="meeting-state">Held' in page
    # the change page shows its agenda item and the board's minuted approval
    change_page = client.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert 'id="change-cab-items"' in change_page and "Approved with the freeze override" in change_page
    assert "approval-settled" in change_page


def test_the_meeting_page_reads_in_constant_queries(people, meeting, django_assert_max_num_queries):
    for number in range(2):
        under_authorisation(people["manager"], people["requester"], short_description=f"Change {number}")
    cab.agenda_build(actor=people["chair"], meeting=meeting)
    client = browser(people["chair"])
    url = reverse("change_cab_meeting_detail", args=[meeting.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as first:
        client.get(url)
    for number in range(3):
        under_authorisation(people["manager"], people["requester"], short_description=f"More {number}")
    cab.agenda_build(actor=people["chair"], meeting=meeting)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(url).content.decode().count('class="list-group-item agenda-item"') == 5


def test_the_cab_api(api, people, meeting):
    change = under_authorisation(people["manager"], people["requester"])
    api.force_authenticate(people["chair"])
    agenda = api.post(reverse("api:changes:cab-meeting-build-agenda", args=[meeting.pk])).json()
    assert [item["change"]["number"] for item in agenda] == [change.number]
    detail = api.get(reverse("api:changes:cab-meeting-detail", args=[meeting.pk])).json()
    updated = api.patch(reverse("api:changes:cab-meeting-detail", args=[meeting.pk]), {
        "attendees": [people["ann"].pk], "minutes": "Brief.", "version": detail["version"]}, format="json")
    assert updated.status_code == 200 and [a["username"] for a in updated.json()["attendees"]] == ["ann"]

    decide = reverse("api:changes:cab-agenda-item-decide", args=[agenda[0]["id"]])
    api.force_authenticate(people["ann"])  # a member who does not chair
    assert api.post(decide, {"decision": "approved"}, format="json").status_code == 403
    api.force_authenticate(people["chair"])
    answer = api.post(decide, {"decision": "rejected", "notes": "Not now"}, format="json")
    assert answer.status_code == 200 and answer.json()["decision"] == "rejected"
    change.refresh_from_db()
    assert change.state == "assessment"

    api.force_authenticate(people["manager"])
    board = meeting.board
    planned = api.post(reverse("api:changes:cab-board-plan", args=[board.pk]),
                       {"until": (timezone.now() + dt.timedelta(days=3)).isoformat()}, format="json")
    assert planned.status_code == 400  # a board without a first meeting has nothing to plan from
    assert "first_meeting" in planned.json()["error"]["fields"]
