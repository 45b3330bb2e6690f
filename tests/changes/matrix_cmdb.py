"""Permission-matrix entries of this slice's change-management URLs (merged by
tests/itsm/test_permission_matrix.py). ENTRIES: {url name: Entry}; targets(people, base): the
objects whose pk fills the URLs (people include "change_manager")."""

ENTRIES = {}


def targets(people, base):
    return {}
