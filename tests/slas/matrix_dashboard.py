"""Permission-matrix entries of the SLA dashboard pages and report API (merged by
tests/itsm/test_permission_matrix.py): staff read, auditors included; nobody writes."""

from tests.incidents.matrix_entry import NOBODY, STAFF, STAFF_PEOPLE, Entry

ENTRIES = {
    "sla_dashboard": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "sla_report": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "api:slas:report-attainment": Entry(read=STAFF, write=NOBODY),
    "api:slas:report-breaches": Entry(read=STAFF, write=NOBODY),
}


def targets(people, base):
    return {}
