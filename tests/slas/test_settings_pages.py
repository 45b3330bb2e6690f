"""SLA settings in the browser: staff read calendars and agreements, administrators change
them (each change of working time or of a target a new version), requesters are refused."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from itsm.services import system_actor
from slas import services
from slas.models import Agreement, Calendar, CalendarDay, Target
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.slas.test_icalendar import HOLIDAYS_ICS

pytestmark = pytest.mark.django_db

WEEK = {"hours_mon": "09:00-12:00, 13:30-18:00", "hours_tue": "9:00-18:00", "hours_wed": "09:00-18:00",
        "hours_thu": "09:00-18:00", "hours_fri": "09:00-18:00", "hours_sat": "", "hours_sun": ""}


@pytest.fixture
def office():
    return services.calendar_create(actor=system_actor(), data={
        "name": "Shanghai office", "time_zone": "Asia/Shanghai", "country": "CN",
        "weekly_hours": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]]}})


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_requesters_are_refused_and_auditors_read_without_buttons(client, requester, auditor, office):
    client.force_login(requester)
    assert client.get(reverse("sla_calendar_list")).status_code == 403
    assert client.get(reverse("sla_agreement_list")).status_code == 403

    client.force_login(auditor)
    listing = client.get(reverse("sla_calendar_list"))
    page = client.get(reverse("sla_calendar_detail", args=[office.pk]))

    assert listing.status_code == 200 and "Shanghai office" in listing.content.decode()
    assert reverse("sla_calendar_create") not in listing.content.decode()
    assert page.status_code == 200
    assert reverse("sla_calendar_update", args=[office.pk]) not in page.content.decode()
    assert reverse("sla_calendar_day_create", args=[office.pk]) not in page.content.decode()
    assert client.post(reverse("sla_calendar_day_create", args=[office.pk]),
                       {"date": "2026-12-24", "kind": "closed"}).status_code == 403


def test_an_administrator_creates_a_calendar_from_typed_weekly_hours(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("sla_calendar_create"), {
        "name": "Paris office", "time_zone": "Europe/Paris", "country": "fr", "subdivision": "",
        "is_active": "on", **WEEK}, follow=True)

    calendar = Calendar.objects.get(name="Paris office")
    assert messages_of(response) == ["Calendar “Paris office” created."]
    assert calendar.weekly_hours["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert calendar.weekly_hours["tue"] == [["09:00", "18:00"]]
    assert calendar.weekly_hours["sat"] == []
    assert calendar.country == "FR"
    page = response.content.decode()
    assert "09:00-12:00, 13:30-18:00" in page  # the week grid's text
    assert "Created" in page  # version 1 in the versions list


def test_badly_typed_hours_are_refused_on_their_field(client, admin_user):
    client.force_login(admin_user)

    with assert_nothing_written():
        response = client.post(reverse("sla_calendar_create"), {
            "name": "Bad", "time_zone": "UTC", **WEEK, "hours_wed": "nine to five"})

    assert response.status_code == 200
    assert response.context["form"].errors["hours_wed"] == ["Write hours like 09:00-12:00, 13:30-18:00."]


def test_editing_a_calendar_needs_the_version_that_was_read(client, admin_user, office):
    client.force_login(admin_user)
    data = {"name": "Shanghai", "time_zone": "Asia/Shanghai", "country": "CN", "is_active": "on", **WEEK}

    saved = client.post(reverse("sla_calendar_update", args=[office.pk]), {**data, "version": office.version})
    stale = client.post(reverse("sla_calendar_update", args=[office.pk]), {**data, "version": office.version})

    assert saved.status_code == 302
    office.refresh_from_db()
    assert office.name == "Shanghai" and office.versions.count() == 2
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()


def test_the_calendar_page_shows_coming_public_holidays(client, agent, office):
    client.force_login(agent)

    page = client.get(reverse("sla_calendar_detail", args=[office.pk]))

    holidays = page.context["holidays"]
    assert holidays and all(date.today() <= day <= date.today() + timedelta(days=366) for day, _ in holidays)
    assert len(page.context["week"]) == 7 and page.context["week"][0]["hours"] == "09:00-18:00"
    assert sum(page.context["week"][0]["cells"]) == 18  # nine hours in half-hours


def test_the_calendar_page_marks_the_years_of_estimated_holidays(client, agent, office):
    client.force_login(agent)

    body = client.get(reverse("sla_calendar_detail", args=[office.pk])).content.decode()

    year = date.today().year
    assert f"Public holidays known for {year - 1}–{year + 3}" in body
    assert 'id="estimated-years"' in body and f"{year + 3}" in body


def test_own_days_are_added_and_removed_each_a_new_version(client, admin_user, office):
    client.force_login(admin_user)

    added = client.post(reverse("sla_calendar_day_create", args=[office.pk]),
                        {"date": "2026-12-24", "kind": "closed", "name": "Company party"}, follow=True)
    day = CalendarDay.objects.get(calendar=office)
    working = client.post(reverse("sla_calendar_day_create", args=[office.pk]),
                          {"date": "2026-12-27", "kind": "working", "hours": "10:00-16:00"}, follow=True)
    removed = client.post(reverse("sla_calendar_day_delete", args=[day.pk]), follow=True)

    assert messages_of(added) == ["2026-12-24 saved: Closed day."]
    assert "Company party" in added.content.decode()
    assert messages_of(working) == ["2026-12-27 saved: Extra working day."]
    assert list(office.days.values_list("date", "kind", "hours")) == [
        (date(2026, 12, 27), "working", [["10:00", "16:00"]])]
    assert messages_of(removed) == ["2026-12-24 follows the usual hours again."]
    assert office.versions.count() == 4


def test_a_closed_day_with_hours_is_refused(client, admin_user, office):
    client.force_login(admin_user)

    response = client.post(reverse("sla_calendar_day_create", args=[office.pk]),
                           {"date": "2026-12-24", "kind": "closed", "hours": "09:00-12:00"})

    assert response.status_code == 400
    assert response.context["day_form"].errors["hours"] == ["A closed day has no hours."]


def test_an_ics_upload_imports_closed_days(client, admin_user, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_user)

    imported = client.post(reverse("sla_calendar_import", args=[office.pk]),
                           {"file": SimpleUploadedFile("holidays.ics", HOLIDAYS_ICS, "text/calendar")}, follow=True)
    bad = client.post(reverse("sla_calendar_import", args=[office.pk]),
                      {"file": SimpleUploadedFile("notes.ics", b"hello", "text/calendar")})

    assert messages_of(imported) == ["3 closed days imported."]
    assert office.days.count() == 3
    assert bad.status_code == 400
    assert bad.context["import_form"].errors["file"][0].startswith("This is not an iCalendar file")
    assert office.days.count() == 3


@pytest.fixture
def email_service():
    return make_service(name="Email", catalogue_status="live")


def test_an_administrator_creates_an_agreement_and_a_target(client, admin_user, email_service, office):
    client.force_login(admin_user)

    created = client.post(reverse("sla_agreement_create"), {
        "name": "Gold", "services": [email_service.pk], "valid_from": "2026-01-01", "is_active": "on"}, follow=True)
    agreement = Agreement.objects.get(name="Gold")
    target = client.post(reverse("sla_target_create", args=[agreement.pk]), {
        "name": "P1 resolution", "metric": "resolution", "record_type": "incident", "priorities": ["1", "2"],
        "service": email_service.pk, "goal_hours": "4", "goal_minutes": "30", "calendar": office.pk,
        "pause_states": ["on_hold"], "escalations": "50: notify_assignee\n100: notify_assignee, raise_priority",
        "reopen_continues": "on"}, follow=True)

    assert messages_of(created) == ["Agreement “Gold” created."]
    assert list(agreement.services.all()) == [email_service]
    assert messages_of(target) == ["Target “P1 resolution (v1)” created."]
    saved = Target.objects.get(agreement=agreement)
    assert (saved.priorities, saved.goal, saved.service, saved.pause_states) == (
        [1, 2], timedelta(hours=4, minutes=30), email_service, ["on_hold"])
    assert saved.escalations == [{"percent": 50, "actions": [{"kind": "notify_assignee"}]},
                                 {"percent": 100, "actions": [{"kind": "notify_assignee"},
                                                              {"kind": "raise_priority"}]}]
    assert "P1 resolution" in target.content.decode()


def select_of(page: str, name: str) -> str:
    select = page[page.index(f'<select name="{name}"'):]
    return select[:select.index("</select>")]


def test_agreement_and_target_forms_hold_only_the_chosen_services_and_search_the_live_ones(
        client, admin_user, email_service, office):
    other = make_service(name="Payroll", catalogue_status="live")
    agreement = services.agreement_create(actor=system_actor(), data={
        "name": "Gold", "valid_from": date(2026, 1, 1), "services": [email_service]})
    everything = services.agreement_create(actor=system_actor(), data={"name": "All", "valid_from": date(2026, 1, 1)})
    client.force_login(admin_user)

    edit = client.get(reverse("sla_agreement_update", args=[agreement.pk])).content.decode()
    target = client.get(reverse("sla_target_create", args=[everything.pk])).content.decode()

    assert f'value="{email_service.pk}" selected' in select_of(edit, "services")
    assert f'value="{other.pk}"' not in select_of(edit, "services")
    assert f'data-search-url="{reverse("ci_search")}?service=live"' in select_of(edit, "services")
    assert select_of(target, "service").count("<option") == 1  # the empty choice; every live service searched
    assert f'data-search-url="{reverse("ci_search")}?service=live"' in select_of(target, "service")


@pytest.fixture
def gold_target(office):
    agreement = services.agreement_create(actor=system_actor(), data={"name": "Gold", "valid_from": date(2026, 1, 1)})
    return services.target_create(actor=system_actor(), data={
        "agreement": agreement, "name": "Resolution", "metric": "resolution", "record_type": "incident",
        "goal": timedelta(hours=8), "calendar": office})


def test_editing_a_target_writes_the_next_version_with_its_history(client, admin_user, gold_target, office):
    client.force_login(admin_user)
    form = client.get(reverse("sla_target_update", args=[gold_target.pk])).context["form"]

    response = client.post(reverse("sla_target_update", args=[gold_target.pk]), {
        **{name: value for name, value in form.initial.items() if value is not None},
        "name": "Resolution", "metric": "resolution", "record_type": "incident", "calendar": office.pk,
        "goal_hours": "6", "goal_minutes": "0", "escalations": form.initial["escalations"]}, follow=True)

    current = Target.objects.get(lineage=gold_target.lineage, is_current=True)
    assert messages_of(response) == ["Target saved as version 2."]
    assert (current.version, current.goal) == (2, timedelta(hours=6))
    assert [v.version for v in response.context["versions"]] == [2, 1]


def test_unknown_escalation_actions_are_refused_in_words(client, admin_user, gold_target, office):
    client.force_login(admin_user)

    response = client.post(reverse("sla_target_update", args=[gold_target.pk]), {
        "name": "Resolution", "metric": "resolution", "record_type": "incident", "calendar": office.pk,
        "goal_hours": "6", "goal_minutes": "0", "escalations": "50: shout\n"})

    assert response.status_code == 200
    assert response.context["form"].errors["escalations"] == ["Line 1: unknown action “shout”."]
    assert Target.objects.filter(lineage=gold_target.lineage).count() == 1


def test_recompute_needs_a_reason_and_reports_the_count(client, admin_user, gold_target):
    client.force_login(admin_user)

    without = client.post(reverse("sla_target_recompute", args=[gold_target.pk]), {"reason": ""}, follow=True)
    done = client.post(reverse("sla_target_recompute", args=[gold_target.pk]), {"reason": "New contract"},
                       follow=True)

    assert messages_of(without) == ["Say why the timers are recomputed."]
    assert messages_of(done) == ["0 running timers recomputed."]


def test_recomputing_a_calendar_moves_its_running_timers(client, admin_user, office):
    from tests.kernel_app.factories import make_ticket

    agreement = services.agreement_create(actor=system_actor(), data={"name": "T", "valid_from": date(2020, 1, 1)})
    services.target_create(actor=system_actor(), data={
        "agreement": agreement, "name": "Tickets", "metric": "resolution", "record_type": "ticket",
        "goal": timedelta(hours=8), "calendar": office})
    ticket = make_ticket()
    services.timers_sync(ticket, cause="created")
    services.calendar_day_set(actor=system_actor(), calendar=office, date=date(2031, 1, 2), kind="closed")
    client.force_login(admin_user)
    page = client.get(reverse("sla_calendar_detail", args=[office.pk]))

    done = client.post(reverse("sla_calendar_recompute", args=[office.pk]), {"reason": "New closed day"},
                       follow=True)

    assert "1 running timer uses an older version of this calendar." in page.content.decode()
    assert messages_of(done) == ["1 running timer recomputed."]
    assert "0 running timers use an older version of this calendar." in done.content.decode()


def test_auditors_read_a_target_and_its_versions_without_saving(client, auditor, gold_target):
    client.force_login(auditor)

    page = client.get(reverse("sla_target_update", args=[gold_target.pk]))
    refused = client.post(reverse("sla_target_update", args=[gold_target.pk]), {"name": "x"})

    assert page.status_code == 200
    assert "Save as a new version" not in page.content.decode()
    assert [v.version for v in page.context["versions"]] == [1]
    assert refused.status_code == 403


def test_an_administrator_sets_a_groups_target_with_cycles_on_the_settings_pages(client, admin_user, office):
    from tests.factories import TeamFactory

    network = TeamFactory(name="Network")
    agreement = services.agreement_create(actor=system_actor(), data={"name": "Gold", "valid_from": date(2026, 1, 1)})
    client.force_login(admin_user)
    form = client.get(reverse("sla_target_create", args=[agreement.pk])).content.decode()
    base = {"name": "Network OLA", "metric": "resolution", "record_type": "incident", "goal_hours": "2",
            "goal_minutes": "0", "calendar": office.pk, "escalations": "100: notify_group_lead"}

    refused = client.post(reverse("sla_target_create", args=[agreement.pk]), {
        **base, "kind": "ola", "team": network.pk, "restart": "customer_reply"})
    created = client.post(reverse("sla_target_create", args=[agreement.pk]), {
        **base, "kind": "ola", "team": network.pk, "restart": "reopen", "cycle_counting": "last"}, follow=True)
    page = client.get(reverse("sla_agreement_detail", args=[agreement.pk])).content.decode()

    for name in ('name="kind"', 'name="team"', 'name="restart"', 'name="cycle_counting"'):
        assert name in form
    assert "A new cycle on each customer reply is for the customer" in refused.content.decode()
    assert messages_of(created) == ["Target “Network OLA (v1)” created."]
    saved = Target.objects.get(agreement=agreement)
    assert (saved.kind, saved.team, saved.restart, saved.cycle_counting) == ("ola", network, "reopen", "last")
    assert "sla-target-ola" in page and "Network" in page
    assert "Start a new cycle on reopening · Only the last cycle counts" in page
