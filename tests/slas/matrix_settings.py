"""Permission-matrix entries of the SLA settings pages (merged by tests/itsm/test_permission_matrix.py):
staff read calendars, agreements and targets; administrators change them; requesters nothing."""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF_PEOPLE, Entry, Redirect

ENTRIES = {
    "sla_calendar_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "sla_calendar_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="calendar", browser=True),
    "sla_calendar_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "sla_calendar_update": Entry(read=ADMINS, write=ADMINS, target="calendar", browser=True, post=200),
    # POST-only actions: GET answers 405 (refused) to staff, 403 to the others.
    "sla_calendar_day_create": Entry(read=NOBODY, write=ADMINS, target="calendar", browser=True, post=400),
    "sla_calendar_day_delete": Entry(read=NOBODY, write=ADMINS, target="calendar_day", browser=True,
                                     post=Redirect("/slas/settings/calendars/{calendar}/")),
    "sla_calendar_import": Entry(read=NOBODY, write=ADMINS, target="calendar", browser=True, post=400),
    "sla_calendar_recompute": Entry(read=NOBODY, write=ADMINS, target="calendar", browser=True,
                                    post=Redirect("/slas/settings/calendars/{calendar}/")),
    "sla_agreement_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "sla_agreement_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="agreement", browser=True),
    "sla_agreement_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "sla_agreement_update": Entry(read=ADMINS, write=ADMINS, target="agreement", browser=True, post=200),
    "sla_target_create": Entry(read=ADMINS, write=ADMINS, target="agreement", browser=True, post=200),
    # Staff read a target and its versions; administrators save the next version.
    "sla_target_update": Entry(read=STAFF_PEOPLE, write=ADMINS, target="sla_target", browser=True, post=200),
    "sla_target_recompute": Entry(read=NOBODY, write=ADMINS, target="sla_target", browser=True,
                                  post=Redirect("/slas/settings/targets/{sla_target}/")),
}


def targets(people, base):
    from datetime import date, timedelta

    from itsm.services import system_actor
    from slas import services
    from tests.slas.conftest import round_the_clock_calendar

    calendar = round_the_clock_calendar("Matrix calendar")  # the built-in 24×7 is immutable
    actor = system_actor()
    agreement = services.agreement_create(actor=actor, data={"name": "Matrix SLA", "valid_from": date(2020, 1, 1)})
    target = services.target_create(actor=actor, data={
        "agreement": agreement, "name": "Matrix resolution", "metric": "resolution", "record_type": "incident",
        "goal": timedelta(hours=8), "calendar": calendar})
    day = services.calendar_day_set(actor=actor, calendar=calendar, date=date(2030, 12, 24), kind="closed",
                                    name="Matrix day")
    return {"agreement": agreement, "sla_target": target, "calendar_day": day}
