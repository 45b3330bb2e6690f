"""The change calendar: its page, its reads (filters, windows expanded), and each person's
iCalendar feed behind a signed URL."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from icalendar import Calendar

from changes.calendar import calendar_changes, calendar_events, feed_key, feed_user
from itsm.choices import Role
from tests.changes.factories_schedule import hours, make_window, occupying
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def numbers(rows) -> list[str]:
    return [row[1] for row in rows]


def test_the_calendar_page_hands_the_script_its_data_and_the_person_their_feed(client, agent):
    client.force_login(agent)

    response = client.get(reverse("change_calendar"), {"view": "listMonth"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-events-url="/api/v1/changes/calendar/events/"' in page
    assert 'data-initial-view="listMonth"' in page
    assert 'name="csp-nonce"' in page and "vendor/fullcalendar/index.global.min.js" in page
    assert "js/changes-calendar.js" in page and "<script>" not in page
    feed_url = response.context["feed_url"]
    assert feed_user(parse_qs(urlparse(feed_url).query)["key"][0]) == agent


def test_the_page_passes_its_filters_on_to_the_events(client, agent):
    service = make_service()
    team = TeamFactory(members=[agent])
    client.force_login(agent)

    response = client.get(reverse("change_calendar"), {"service": service.pk, "group": team.pk})

    assert response.context["filters"] == f"service={service.pk}&group={team.pk}"


def test_requesters_do_not_see_the_calendar(client, requester):
    client.force_login(requester)

    assert client.get(reverse("change_calendar")).status_code == 403
    assert list(calendar_changes(requester, *hours(-100, 200))) == []


def test_filters_by_service_group_and_ci(agent, change_manager):
    mail = make_service(name="Mail")
    relay, other = make_ci(type_slug="server"), make_ci(type_slug="server")
    link(mail, relay)
    team = TeamFactory(members=[change_manager])
    start, end = hours(24)
    on_relay = occupying(change_manager, cis=[relay], start=start, end=end)  # impacts Mail
    of_team = occupying(change_manager, cis=[other], start=start, end=end, assignment_group=team)
    cancelled_on_relay = occupying(change_manager, cis=[relay], start=start, end=end, state="authorisation")
    from itsm.workflow import transition_apply

    transition_apply(actor=change_manager, record=cancelled_on_relay, name="cancel", data={"cancel_reason": "No"})
    range_ = (start - timedelta(days=1), end + timedelta(days=1))

    assert numbers(calendar_changes(agent, *range_)) == [on_relay.number, of_team.number]
    assert numbers(calendar_changes(agent, *range_, service=mail.pk)) == [on_relay.number]
    assert numbers(calendar_changes(agent, *range_, group=team.pk)) == [of_team.number]
    assert numbers(calendar_changes(agent, *range_, ci=other.pk)) == [of_team.number]
    assert numbers(calendar_changes(agent, end + timedelta(hours=1), end + timedelta(days=2))) == []


def test_windows_are_expanded_over_the_range_and_filtered_to_their_place(agent):
    mail, web = make_service(name="Mail"), make_service(name="Web")
    start, _end = hours(0)
    make_window(name="Freeze", start=start, end=start + timedelta(hours=1))
    make_window(kind="maintenance", name="Mail nights", service=mail, start=start, end=start + timedelta(hours=2),
                rrule="FREQ=DAILY")
    make_window(kind="maintenance", name="Web nights", service=web, start=start, end=start + timedelta(hours=2),
                rrule="FREQ=DAILY")
    make_window(name="Retired", start=start, end=start + timedelta(hours=1), is_active=False)
    range_ = (start - timedelta(hours=1), start + timedelta(days=3))

    every = [row[1] for row in calendar_events(agent, *range_)["windows"]]
    of_mail = [row[1] for row in calendar_events(agent, *range_, service=mail.pk)["windows"]]

    assert sorted(every) == ["Freeze"] + ["Mail nights"] * 3 + ["Web nights"] * 3
    assert sorted(of_mail) == ["Freeze"] + ["Mail nights"] * 3


# --- the feed -------------------------------------------------------------------------------------

def feed(client, key):
    return client.get(reverse("change_calendar_feed"), {"key": key})


def test_the_feed_holds_the_persons_changes_and_their_teams_scheduled_ones(client, make_user, change_manager):
    person = make_user(Role.AGENT, username="implementer")
    team = TeamFactory(members=[person, change_manager])
    start, end = hours(24)
    implementing = occupying(change_manager, cis=[make_ci()], start=start, end=end, implementer=person,
                             short_description="Patch the relays")
    of_team = occupying(change_manager, cis=[make_ci()], start=start, end=end, assignment_group=team)
    elsewhere = occupying(change_manager, cis=[make_ci()], start=start, end=end)

    response = feed(client, feed_key(person))  # no sign-in: the key is the credential

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = {str(e["uid"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert set(events) == {f"{implementing.number}@changes.itsm", f"{of_team.number}@changes.itsm"}
    event = events[f"{implementing.number}@changes.itsm"]
    assert str(event["summary"]) == f"{implementing.number} Patch the relays"
    assert event.decoded("dtstart") == start and event.decoded("dtend") == end
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["url"]).endswith(f"/changes/{implementing.pk}/")
    assert elsewhere.number not in response.content.decode()


def test_a_bad_or_outdated_key_is_not_found(client, agent):
    key = feed_key(agent)

    assert feed(client, "").status_code == 404
    assert feed(client, key[:-2] + ("AA" if not key.endswith("AA") else "BB")).status_code == 404
    agent.set_password("a new secret 123")
    agent.save()
    assert feed(client, key).status_code == 404  # a new password ends the old URL
    assert feed(client, feed_key(agent)).status_code == 200


def test_no_feed_for_someone_who_may_no_longer_read_changes(client, agent, requester):
    key = feed_key(agent)
    agent.is_active = False
    agent.save()

    assert feed(client, key).status_code == 404
    assert feed(client, feed_key(requester)).status_code == 404
