"""Rules the SLA settings pages enforced alone until they moved into slas.services: the API
(and every other caller) now meets them too."""

from datetime import date, timedelta

import pytest

from slas import services
from slas.models import CalendarDay, CalendarVersion, Target
from tests.config_items.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def always(round_the_clock):
    """The built-in 24×7 calendar is immutable: these tests change theirs, so use one of our own."""
    return round_the_clock


URL = "/api/v1/slas"


def test_the_api_refuses_a_closed_day_with_hours(api, admin_user, always):
    versions = CalendarVersion.objects.filter(calendar=always).count()
    api.force_authenticate(admin_user)

    response = api.post(f"{URL}/calendars/{always.pk}/days/",
                        {"date": "2026-12-24", "kind": "closed", "hours": [["09:00", "12:00"]]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"hours": ["A closed day has no hours."]}
    assert not CalendarDay.objects.filter(date=date(2026, 12, 24)).exists()
    assert CalendarVersion.objects.filter(calendar=always).count() == versions


def test_patching_a_target_with_a_state_its_record_type_lacks_is_refused(api, admin_user, make_target):
    target = make_target(pause_states=["in_progress"])
    api.force_authenticate(admin_user)

    # record_type is not sent: the check used to run only when it was
    response = api.patch(f"{URL}/targets/{target.pk}/", {"pause_states": ["asleep"]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"pause_states": ["Not a state of this record type: asleep"]}
    assert list(Target.objects.values_list("version", "pause_states")) == [(1, ["in_progress"])]


def test_patching_a_target_to_an_unknown_record_type_is_refused(api, admin_user, make_target):
    target = make_target(goal=timedelta(hours=4))
    api.force_authenticate(admin_user)

    response = api.patch(f"{URL}/targets/{target.pk}/", {"record_type": "spaceship"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"record_type": ["Unknown record type."]}
    assert Target.objects.count() == 1


# --- a target: an active calendar, a service of its agreement --------------------------------------

def test_the_api_refuses_a_target_on_a_service_outside_its_agreement(api, admin_user, always):
    email = make_service(name="Email", catalogue_status="live")
    erp = make_service(name="ERP", catalogue_status="live")
    agreement = services.agreement_create(actor=admin_user, data={"name": "Mail", "valid_from": date(2026, 1, 1),
                                                                  "services": [email]})
    api.force_authenticate(admin_user)
    body = {"agreement": agreement.pk, "name": "ERP resolution", "metric": "resolution", "record_type": "ticket",
            "goal": "04:00:00", "calendar": always.pk}

    outside = api.post(f"{URL}/targets/", {**body, "service": erp.pk}, format="json")
    inside = api.post(f"{URL}/targets/", {**body, "service": email.pk}, format="json")

    assert outside.status_code == 400
    assert outside.json()["error"]["fields"] == {"service": ["ERP is not a service of Mail."]}
    assert inside.status_code == 201, inside.json()
    assert list(Target.objects.values_list("service__name", flat=True)) == ["Email"]


def test_the_api_refuses_a_target_on_a_calendar_no_longer_in_use(api, admin_user, agreement, always):
    old = services.calendar_create(actor=admin_user, data={"name": "Old office", "weekly_hours": {
        "mon": [["09:00", "17:00"]]}, "is_active": False})
    api.force_authenticate(admin_user)
    body = {"agreement": agreement.pk, "name": "Resolution", "metric": "resolution", "record_type": "ticket",
            "goal": "04:00:00"}

    refused = api.post(f"{URL}/targets/", {**body, "calendar": old.pk}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"calendar": ["Old office is no longer in use."]}
    assert not Target.objects.exists()


def test_a_new_version_keeps_a_calendar_retired_since(api, admin_user, make_target):
    office = services.calendar_create(actor=admin_user, data={"name": "Office", "weekly_hours": {
        "mon": [["09:00", "17:00"]]}})
    target = make_target(calendar=office)
    services.calendar_update(actor=admin_user, calendar=office, data={"is_active": False})
    api.force_authenticate(admin_user)

    response = api.patch(f"{URL}/targets/{target.pk}/", {"goal": "02:00:00"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
