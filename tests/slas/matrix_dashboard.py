"""Permission-matrix entries of the SLA dashboard pages (merged by tests/itsm/test_permission_matrix.py)."""

ENTRIES = {}


def targets(people, base):
    return {}
