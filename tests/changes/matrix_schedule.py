"""Permission-matrix entries of the schedule slice (merged by tests/itsm/test_permission_matrix.py):
blackout and maintenance windows, scheduling a change and its conflicts, the change calendar and
its iCalendar feed.

Staff read windows, conflicts and the calendar (auditors and read-only tokens included);
administrators keep the windows; change workers (agents, team leads, problem and change managers,
administrators) schedule (the service refuses the steps that are the change managers') and
re-check conflicts; change managers override conflicts found since scheduling. The feed answers everyone: its key is the credential (none here: 404).

Targets: "schedule_change" (a change in authorisation with a window and a CI), "schedule_window"
(a global blackout window).
"""

from tests.incidents.matrix_entry import ADMINS, BROWSER_ROLES, NOBODY, STAFF, STAFF_PEOPLE, Entry, Redirect

CHANGE_WORKERS = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "administrator"})
CHANGE_MANAGERS = frozenset({"change_manager", "administrator"})

ENTRIES = {
    # API: windows (an empty body is 400; windows are versioned: PATCH without If-Match is 428)
    "api:changes:change-window-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:changes:change-window-detail": Entry(read=STAFF, write=ADMINS, target="schedule_window", post=405,
                                              patch=428),
    # API: a change's conflicts, their re-check, scheduling (an empty body names the window)
    "api:changes:change-conflicts": Entry(read=STAFF, write=CHANGE_WORKERS, target="schedule_change", post=405,
                                          patch=405),
    "api:changes:change-conflicts-recheck": Entry(read=STAFF, write=CHANGE_WORKERS, target="schedule_change",
                                                  get=405, post=200, patch=405),
    "api:changes:change-conflicts-override": Entry(read=STAFF, write=CHANGE_MANAGERS, target="schedule_change",
                                                   get=405, post=400, patch=405),
    "api:changes:change-schedule": Entry(read=STAFF, write=CHANGE_WORKERS, target="schedule_change", get=405,
                                         post=400, patch=405),
    # API: the calendar's events (without a range: 400 naming start and end)
    "api:changes:calendar-events": Entry(read=STAFF, write=NOBODY, get=400),
    # pages: windows (staff read, administrators write)
    "change_window_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_window_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "change_window_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="schedule_window", browser=True),
    "change_window_update": Entry(read=ADMINS, write=ADMINS, target="schedule_window", browser=True, post=200),
    # scheduling: the form, refused without a window (400); re-check: back to the change's conflicts
    "change_schedule": Entry(read=CHANGE_WORKERS, write=CHANGE_WORKERS, target="schedule_change", browser=True,
                             post=400),
    "change_conflicts_recheck": Entry(read=NOBODY, write=CHANGE_WORKERS, target="schedule_change", browser=True,
                                      post=Redirect("/changes/{schedule_change}/#conflicts")),
    # an override without a reason: back to the change's conflicts with a message
    "change_conflicts_override": Entry(read=NOBODY, write=CHANGE_MANAGERS, target="schedule_change", browser=True,
                                       post=Redirect("/changes/{schedule_change}/#conflicts")),
    # the calendar (staff); the feed without a key is not found, for anyone
    "change_calendar": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_calendar_feed": Entry(read=BROWSER_ROLES, write=NOBODY, browser=True, get=404),
}


def targets(people, base):
    from datetime import timedelta

    from django.utils import timezone

    from changes.services.windows import window_create
    from itsm.workflow import transition_apply
    from tests.changes.factories import PLANS, make_change
    from tests.config_items.factories import make_ci

    manager = people["change_manager"]
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    change = make_change(manager, change_model="emergency", cis=[make_ci(people["team_lead"], name="matrix host")],
                         planned_start=start, planned_end=start + timedelta(hours=2), **PLANS)
    change = transition_apply(actor=manager, record=change, name="request_authorisation", data={})
    window = window_create(actor=people["administrator"], data={
        "kind": "blackout", "name": "Matrix freeze", "start": start + timedelta(days=30),
        "end": start + timedelta(days=31)})
    return {"schedule_change": change, "schedule_window": window}
