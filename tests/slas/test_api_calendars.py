"""The calendar API: administrators edit calendars (each change a new version); every staff
caller, read-only tokens included, asks the business-time questions."""

import pytest

from slas.models import Calendar
from tests.assertions import assert_nothing_written

pytestmark = pytest.mark.django_db

OFFICE = {"mon": [["09:00", "12:00"], ["13:30", "18:00"]], "tue": [["09:00", "18:00"]], "wed": [["09:00", "18:00"]],
          "thu": [["09:00", "18:00"]], "fri": [["09:00", "18:00"]], "sat": [], "sun": []}


@pytest.fixture
def china(api, admin_user):
    api.force_authenticate(admin_user)
    response = api.post("/api/v1/slas/calendars/", {"name": "China office", "time_zone": "Asia/Shanghai",
                                                    "weekly_hours": OFFICE, "country": "CN"}, format="json")
    assert response.status_code == 201, response.json()
    api.force_authenticate(None)
    return Calendar.objects.get(name="China office")


def test_business_time_questions_answer_with_holidays_and_make_up_days(china, token_client, agent):
    client = token_client(agent, read_only=True)

    # Tuesday 30 September 2025 17:00 + 2 h: the National Day week is skipped.
    added = client.post(f"/api/v1/slas/calendars/{china.pk}/add/",
                        {"start": "2025-09-30T17:00:00+08:00", "duration": "02:00:00"}, format="json")
    # Friday 26 September 18:00 to Monday 29 September 09:00: the make-up Sunday 28th counts,
    # with the hours of a Monday (7.5 h).
    between = client.post(f"/api/v1/slas/calendars/{china.pk}/between/",
                          {"start": "2025-09-26T18:00:00+08:00", "end": "2025-09-29T09:00:00+08:00"}, format="json")

    assert added.status_code == 200, added.json()
    assert added.json()["due"] == "2025-10-09T10:00:00+08:00"  # Thursday 9 October 10:00, in the calendar's zone
    assert between.json()["business_seconds"] == 7.5 * 3600
    assert between.json()["calendar_version"] == 1


def test_bad_questions_get_clear_errors(china, api, agent):
    api.force_authenticate(agent)

    naive = api.post(f"/api/v1/slas/calendars/{china.pk}/add/", {"start": "2025-09-30T17:00:00",
                                                                 "duration": "-01:00:00"}, format="json")
    backwards = api.post(f"/api/v1/slas/calendars/{china.pk}/between/",
                         {"start": "2025-09-30T17:00:00Z", "end": "2025-09-29T17:00:00Z"}, format="json")

    assert naive.status_code == 400
    assert backwards.status_code == 400 and "end" in backwards.json()["error"]["fields"]


def test_only_administrators_change_calendars_and_each_change_is_a_version(china, api, agent, admin_user):
    api.force_authenticate(agent)
    assert api.post("/api/v1/slas/calendars/", {"name": "x", "weekly_hours": OFFICE}, format="json").status_code == 403

    api.force_authenticate(admin_user)
    day = api.post(f"/api/v1/slas/calendars/{china.pk}/days/",
                   {"date": "2025-12-24", "kind": "closed", "name": "Company party"}, format="json")
    versions = api.get(f"/api/v1/slas/calendars/{china.pk}/versions/").json()["results"]

    assert day.status_code == 201
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["definition"]["closed"]["2025-12-24"] == "Company party"


def test_invalid_hours_are_refused(api, admin_user):
    api.force_authenticate(admin_user)

    with assert_nothing_written():
        response = api.post("/api/v1/slas/calendars/", {"name": "Bad", "weekly_hours": {"mon": [["18:00", "09:00"]]}},
                            format="json")

    assert response.status_code == 400 and "weekly_hours" in response.json()["error"]["fields"]


def test_an_unknown_country_or_region_is_refused_by_name(api, admin_user):
    api.force_authenticate(admin_user)

    with assert_nothing_written():
        country = api.post("/api/v1/slas/calendars/", {"name": "Nowhere", "weekly_hours": OFFICE, "country": "ZZ"},
                           format="json")
        region = api.post("/api/v1/slas/calendars/", {"name": "Nowhere", "weekly_hours": OFFICE, "country": "CN",
                                                      "subdivision": "XX"}, format="json")

    assert country.status_code == 400
    assert country.json()["error"]["fields"]["country"] == ["No public holidays are known for “ZZ”."]
    assert region.status_code == 400 and "subdivision" in region.json()["error"]["fields"]


def test_the_built_in_24x7_calendar_is_immutable(api, admin_user, always):
    from tests.slas.test_icalendar import HOLIDAYS_ICS

    api.force_authenticate(admin_user)
    url = f"/api/v1/slas/calendars/{always.pk}/"
    etag = api.get(url)["ETag"]

    with assert_nothing_written():
        patch = api.patch(url, {"weekly_hours": OFFICE}, format="json", HTTP_IF_MATCH=etag)
        day = api.post(f"{url}days/", {"date": "2025-12-24", "kind": "closed", "name": "Party"}, format="json")
        imported = api.post(f"{url}import/", {"content": HOLIDAYS_ICS.decode()}, format="json")

    assert api.get(url).json()["builtin"] is True
    for refused in (patch, day, imported):
        assert refused.status_code == 403, refused.json()
        assert "24×7" in refused.json()["error"]["message"]
    assert always.versions.count() == 1 and not always.days.exists()


@pytest.mark.parametrize(("path", "body"), [
    ("add", {"start": "2025-09-30T17:00:00", "duration": "02:00:00"}),
    ("between", {"start": "2025-09-30T17:00:00", "end": "2025-10-09T10:00:00+08:00"}),
    ("between", {"start": "2025-09-30T17:00:00+08:00", "end": "2025-10-09T10:00:00"}),
])
def test_an_instant_without_an_offset_is_refused_not_read_as_utc(china, api, agent, path, body):
    api.force_authenticate(agent)

    response = api.post(f"/api/v1/slas/calendars/{china.pk}/{path}/", body, format="json")

    assert response.status_code == 400, response.json()
    naive = next(name for name, value in body.items() if name != "duration" and value[-6] not in "+-")
    assert "offset" in response.json()["error"]["fields"][naive][0]


def test_instants_outside_the_years_of_known_holidays_are_refused_naming_them(china, api, agent):
    from django.utils import timezone

    api.force_authenticate(agent)
    first, last = timezone.localdate().year - 1, timezone.localdate().year + 3
    url = f"/api/v1/slas/calendars/{china.pk}"

    # National Day of an earlier year must not count as working time: refused, not guessed.
    early = api.post(f"{url}/add/", {"start": f"{first - 1}-09-30T17:00:00+08:00", "duration": "02:00:00"},
                     format="json")
    late = api.post(f"{url}/between/", {"start": f"{last}-12-31T09:00:00+08:00",
                                        "end": f"{last + 1}-01-05T09:00:00+08:00"}, format="json")
    beyond = api.post(f"{url}/add/", {"start": f"{last}-12-31T17:00:00+08:00", "duration": "200:00:00"},
                      format="json")

    assert early.status_code == 400 and f"{first}–{last}" in early.json()["error"]["fields"]["start"][0]
    assert late.status_code == 400 and f"{first}–{last}" in late.json()["error"]["fields"]["end"][0]
    assert beyond.status_code == 400 and "duration" in beyond.json()["error"]["fields"]
    inside = api.post(f"{url}/add/", {"start": f"{first}-09-30T17:00:00+08:00", "duration": "02:00:00"},
                      format="json")
    assert inside.status_code == 200


def test_the_api_says_which_years_of_holidays_are_estimates(china, api, agent):
    import holidays
    from django.utils import timezone

    api.force_authenticate(agent)
    years = list(range(timezone.localdate().year - 1, timezone.localdate().year + 4))
    official = max(holidays.country_holidays("CN", years=years[0]).special_public_holidays)

    read = api.get(f"/api/v1/slas/calendars/{china.pk}/").json()

    assert read["holiday_years"]["covered"] == [years[0], years[-1]]
    assert read["holiday_years"]["estimated"] == [y for y in years if y > official]
    assert read["holiday_years"]["estimated"]  # the library does not publish three years ahead


def test_the_scheduled_task_republishes_the_holidays_when_the_year_moves(china, monkeypatch):
    from datetime import date

    from django.conf import settings

    from slas import tasks
    from slas.models import CalendarVersion

    assert "slas.tasks.republish_calendars" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks.republish_calendars() == {"published": 0}  # nothing moved: no new version

    today = date.today()
    monkeypatch.setattr("slas.calendars.timezone.localdate", lambda: date(today.year + 1, 1, 2))
    assert tasks.republish_calendars() == {"published": 1}
    latest = CalendarVersion.objects.filter(calendar=china).order_by("-number").first()
    assert latest.definition["years"][0] == today.year and latest.definition["years"][-1] == today.year + 4
    assert Calendar.objects.get(name="24×7").versions.count() == 1  # the built-in one is left alone
