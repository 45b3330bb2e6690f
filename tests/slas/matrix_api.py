"""Permission-matrix entries of the SLA API (merged by tests/itsm/test_permission_matrix.py)."""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, Entry

ENTRIES = {
    "api:slas:api-root": Entry(read=STAFF, write=NOBODY),
    "api:slas:calendar-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:slas:calendar-detail": Entry(read=STAFF, write=ADMINS, target="calendar", post=405, patch=428),
    "api:slas:calendar-days": Entry(read=STAFF, write=ADMINS, target="calendar", get=405, post=400, patch=405),
    "api:slas:calendar-versions": Entry(read=STAFF, write=ADMINS, target="calendar", post=405, patch=405),
    # Business-time questions (POST add/, between/) write nothing: every staff caller may ask,
    # auditors and read-only tokens included (STAFF holds both; the schema says so too).
    "api:slas:calendar-add": Entry(read=STAFF, write=STAFF, target="calendar", patch=False, get=405, post=400),
    "api:slas:calendar-between": Entry(read=STAFF, write=STAFF, target="calendar", patch=False, get=405, post=400),
    "api:slas:calendar-next-business-instant": Entry(read=STAFF, write=STAFF, target="calendar", patch=False, get=405,
                                                     post=400),
    "api:slas:calendar-import": Entry(read=STAFF, write=ADMINS, target="calendar", patch=False, get=405, post=400),
    "api:slas:calendar-recompute": Entry(read=STAFF, write=ADMINS, target="calendar", patch=False, get=405, post=400),
    "api:slas:target-recompute": Entry(read=STAFF, write=ADMINS, target="sla_api_target",
                                       patch=False, get=405, post=400),
    "api:slas:agreement-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:slas:agreement-detail": Entry(read=STAFF, write=ADMINS, target="sla_api_agreement", post=405, patch=428),
    "api:slas:target-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:slas:target-detail": Entry(read=STAFF, write=ADMINS, target="sla_api_target", post=405, patch=200),
    # Only the engine writes timers: read-only for every caller.
    "api:slas:timer-list": Entry(read=STAFF, write=NOBODY),
    "api:slas:timer-detail": Entry(read=STAFF, write=NOBODY, target="sla_timer"),
    "api:slas:breach-list": Entry(read=STAFF, write=NOBODY),
    "api:slas:breach-detail": Entry(read=STAFF, write=NOBODY, target="sla_timer"),
}


def targets(people, base):
    from datetime import date, timedelta

    from django.utils import timezone

    from itsm.services import system_actor
    from slas import services
    from slas.models import Timer
    from tests.slas.conftest import round_the_clock_calendar

    calendar = round_the_clock_calendar("Matrix calendar")  # the built-in 24×7 is immutable
    actor = system_actor()
    agreement = services.agreement_create(actor=actor, data={"name": "Matrix API SLA", "valid_from": date(2020, 1, 1)})
    target = services.target_create(actor=actor, data={
        "agreement": agreement, "name": "Matrix API response", "metric": "response", "record_type": "incident",
        "goal": timedelta(hours=1), "calendar": calendar})
    timer = next(t for t in services.timers_sync(base["incident"], cause="matrix") if t.metric == "response")
    Timer.objects.filter(pk=timer.pk).update(breached_at=timezone.now())  # listed among the breaches too
    return {"calendar": calendar, "sla_api_agreement": agreement, "sla_api_target": target, "sla_timer": timer}
