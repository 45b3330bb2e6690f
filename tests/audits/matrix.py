"""Permission-matrix entries of the audit pages and API (merged by
tests/itsm/test_permission_matrix.py): auditors and administrators only; verifying is a read
action, so auditors may post it; nothing else writes."""

from tests.incidents.matrix_entry import NOBODY, STAFF, Entry, Redirect

AUDIT = frozenset({"auditor", "administrator"})

ENTRIES = {
    "audit_trail": Entry(read=AUDIT, write=NOBODY, browser=True),
    "audit_verify": Entry(read=AUDIT, write=AUDIT, browser=True, post=Redirect("/audits/verify/")),
    "api:audits:api-root": Entry(read=STAFF, write=NOBODY),
    "api:audits:trail-list": Entry(read=AUDIT, write=NOBODY),
    "api:audits:verification": Entry(read=AUDIT, write=NOBODY),
}


def targets(people, base):
    return {}
