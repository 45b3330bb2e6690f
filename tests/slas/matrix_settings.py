"""Permission-matrix entries of the SLA settings pages (merged by tests/itsm/test_permission_matrix.py)."""

ENTRIES = {}


def targets(people, base):
    return {}
