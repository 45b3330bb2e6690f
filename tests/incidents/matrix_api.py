"""Permission-matrix entries of the incident api URLs (merged by tests/itsm/test_permission_matrix.py).

ENTRIES: {url name: Entry}; targets(people, base): extra objects whose pk fills the URLs,
given the people of the matrix and the shared targets ("incident": caller m-requester).

Every signed-in role reads incidents (a requester only their own: the matrix requester is the
caller of the target incident); the service desk writes; a requester may also create, comment,
attach and take the caller's workflow steps; administrators import and keep the settings.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from .matrix_entry import ADMINS, NOBODY, SIGNED_IN, STAFF, WORKERS, Entry, by_role

WORKERS_AND_CALLERS = WORKERS | {"requester"}


def _incident(write, target="incident", **expected):
    return Entry(read=SIGNED_IN, write=write, target=target, **expected)


ENTRIES = {
    "api:incidents:incident-list": Entry(read=SIGNED_IN, write=WORKERS_AND_CALLERS, post=400),
    "api:incidents:incident-alerts": Entry(read=SIGNED_IN, write=WORKERS, get=405, post=400),
    "api:incidents:incident-import": Entry(read=SIGNED_IN, write=ADMINS, get=405, post=400),
    "api:incidents:incident-detail": _incident(WORKERS, post=405, patch=428),
    "api:incidents:incident-transitions": _incident(WORKERS, post=405, patch=405),
    "api:incidents:incident-transition": _incident(WORKERS_AND_CALLERS, get=405, post=400, patch=405),
    "api:incidents:incident-journal": _incident(WORKERS, post=405, patch=405),
    "api:incidents:incident-comments": _incident(WORKERS_AND_CALLERS, get=405, post=400, patch=405),
    "api:incidents:incident-attachments": _incident(WORKERS_AND_CALLERS, post=415, patch=405),
    "api:incidents:incident-children": _incident(WORKERS, post=405, patch=405),
    # SLA timers and their explanation: staff read (not requesters); nothing to write.
    "api:incidents:incident-timers": Entry(read=STAFF, write=WORKERS, target="incident", patch=False, post=405),
    "api:incidents:incident-assign": _incident(WORKERS, get=405, post=400, patch=405),
    # Taking an incident needs a team: the matrix agent has one, the team lead and administrator none (400).
    "api:incidents:incident-assign-to-me": _incident(WORKERS, get=405, post=by_role(400, agent=200), patch=405),
    "api:incidents:incident-major": _incident(WORKERS, get=405, post=400, patch=405),
    "api:incidents:incident-major-end": _incident(WORKERS, get=405, post=400, patch=405),
    "api:incidents:incident-communications": _incident(WORKERS, get=405, post=400, patch=405),
    "api:incidents:incident-attachment-download": Entry(read=SIGNED_IN, write=NOBODY, target="attachment"),
    "api:incidents:category-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:incidents:category-detail": Entry(read=STAFF, write=ADMINS, target="category", post=405, patch=200),
    "api:incidents:priority-matrix-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:incidents:assignment-rule-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:incidents:assignment-rule-detail": Entry(read=STAFF, write=ADMINS, target="assignment_rule", post=405,
                                                   patch=428),
}


def targets(people, base):
    from incidents import services

    upload = SimpleUploadedFile("matrix.txt", b"permission matrix", content_type="text/plain")
    return {
        "attachment": services.incident_attach(actor=people["agent"], incident=base["incident"], upload=upload),
        "category": services.category_create(actor=people["administrator"], name="Matrix category"),
        "assignment_rule": services.assignment_rule_create(
            actor=people["administrator"], data={"name": "Matrix rule", "assignment_group": base["team"]}),
    }
