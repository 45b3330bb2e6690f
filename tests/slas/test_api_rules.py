"""Rules the SLA settings pages enforced alone until they moved into slas.services: the API
(and every other caller) now meets them too."""

from datetime import date, timedelta

import pytest

from slas.models import CalendarDay, CalendarVersion, Target

pytestmark = pytest.mark.django_db
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
