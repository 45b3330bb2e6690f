"""Permission-matrix entries of the SLA API (merged by tests/itsm/test_permission_matrix.py)."""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, Entry

ENTRIES = {
    "api:slas:api-root": Entry(read=STAFF, write=NOBODY),
    "api:slas:calendar-list": Entry(read=STAFF, write=ADMINS),
    "api:slas:calendar-detail": Entry(read=STAFF, write=ADMINS, target="calendar"),
    "api:slas:calendar-days": Entry(read=STAFF, write=ADMINS, target="calendar"),
    "api:slas:calendar-versions": Entry(read=STAFF, write=ADMINS, target="calendar"),
    # Business-time questions change nothing: every staff caller may ask, read-only tokens too.
    "api:slas:calendar-add": Entry(read=STAFF, write=STAFF, target="calendar", patch=False),
    "api:slas:calendar-between": Entry(read=STAFF, write=STAFF, target="calendar", patch=False),
}


def targets(people, base):
    from slas.models import Calendar

    return {"calendar": Calendar.objects.get(name="24×7")}
