"""Permission-matrix entries of the problem report page and report API (merged by
tests/itsm/test_permission_matrix.py): staff read, auditors included; nobody writes."""

from tests.incidents.matrix_entry import NOBODY, STAFF, STAFF_PEOPLE, Entry

ENTRIES = {
    "problem_reports": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "api:problems:report-open": Entry(read=STAFF, write=NOBODY),
    "api:problems:report-times": Entry(read=STAFF, write=NOBODY),
    "api:problems:report-incidents-per-problem": Entry(read=STAFF, write=NOBODY),
    "api:problems:report-known-errors": Entry(read=STAFF, write=NOBODY),
    "api:problems:report-recurring": Entry(read=STAFF, write=NOBODY),
}


def targets(people, base):
    return {}
