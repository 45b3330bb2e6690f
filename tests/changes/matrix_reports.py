"""Permission-matrix entries of the change report page and report API (merged by
tests/itsm/test_permission_matrix.py): staff read, auditors included; nobody writes."""

from tests.incidents.matrix_entry import NOBODY, STAFF, STAFF_PEOPLE, Entry

ENTRIES = {
    "change_reports": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "api:changes:report-success": Entry(read=STAFF, write=NOBODY),
    "api:changes:report-emergency": Entry(read=STAFF, write=NOBODY),
    "api:changes:report-model-risk": Entry(read=STAFF, write=NOBODY),
    "api:changes:report-approval-lead-time": Entry(read=STAFF, write=NOBODY),
    "api:changes:report-incidents-caused": Entry(read=STAFF, write=NOBODY),
    "api:changes:report-unauthorised": Entry(read=STAFF, write=NOBODY),
    "api:changes:report-overrides": Entry(read=STAFF, write=NOBODY),
}


def targets(people, base):
    return {}
