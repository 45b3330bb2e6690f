"""Permission-matrix entries of the incident agent URLs (merged by tests/itsm/test_permission_matrix.py).

ENTRIES: {url name: Entry}; targets(people, base): extra objects whose pk fills the URLs,
given the people of the matrix and the shared targets ("incident": caller m-requester).
"""

ENTRIES = {}


def targets(people, base):
    return {}
