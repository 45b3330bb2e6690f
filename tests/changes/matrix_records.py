"""Permission-matrix entries of the records slice (merged by tests/itsm/test_permission_matrix.py):
the change list, raising and editing, the change page and its actions, the pickers, and the
change API at the root of /api/v1/changes/.

Staff read everything of changes (auditors and read-only tokens included); requesters nothing.
Change workers (agents, team leads, problem and change managers, administrators; CAB members too,
not a matrix role) raise, edit, comment, attach and link; the services refuse the steps that are
the change managers' or the implementer's (tests/changes/test_api_records.py). Pages that only
take a POST answer GET with 405.

Targets: "change" (a new change raised by the agent through the services: later change matrices
may use base["change"]), "change_attachment", "change_saved_filter" (the agent's).
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.incidents.matrix_entry import NOBODY, STAFF, STAFF_PEOPLE, Entry, Redirect, by_role

CHANGE_PEOPLE = frozenset({"agent", "team_lead", "problem_manager", "change_manager", "administrator"})
BACK_TO_CHANGE = Redirect("/changes/{change}/")


def _page_action(post):
    return Entry(read=NOBODY, write=CHANGE_PEOPLE, target="change", browser=True, post=post)


def _api(**expected):
    return Entry(read=STAFF, write=CHANGE_PEOPLE, target="change", **expected)


ACTION = {"get": 405, "post": 400, "patch": 405}  # a POST-only action of one change
LISTING = {"post": 405, "patch": 405}  # a GET-only action of one change

ENTRIES = {
    # pages
    "change_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_saved_filter_create": Entry(read=NOBODY, write=CHANGE_PEOPLE, browser=True, post=Redirect("/changes/")),
    # Another person's filter is "not found" (404): allowed past the role check, changes nothing.
    "change_saved_filter_delete": Entry(read=NOBODY, write=CHANGE_PEOPLE, target="change_saved_filter",
                                        browser=True, post=by_role(404, agent=Redirect("/changes/"))),
    "change_create": Entry(read=CHANGE_PEOPLE, write=CHANGE_PEOPLE, browser=True, post=200),
    "change_problem_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_incident_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "change_attachment_download": Entry(read=STAFF_PEOPLE, write=NOBODY, target="change_attachment", browser=True),
    "change_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="change", browser=True),
    "change_update": Entry(read=CHANGE_PEOPLE, write=CHANGE_PEOPLE, target="change", browser=True, post=200),
    # No step named: refused with a message on the change's page.
    "change_transition": _page_action(BACK_TO_CHANGE),
    "change_comment": _page_action(400),
    "change_attach": _page_action(400),
    "change_link_problems": _page_action(400),
    "change_link_incidents": _page_action(400),
    # No record named: a message on the change's page.
    "change_unlink_problem": _page_action(BACK_TO_CHANGE),
    "change_unlink_incident": _page_action(BACK_TO_CHANGE),
    # API
    "api:changes:change-list": Entry(read=STAFF, write=CHANGE_PEOPLE, post=400),
    "api:changes:change-detail": _api(post=405, patch=428),
    "api:changes:change-transitions": _api(**LISTING),
    "api:changes:change-transition": _api(**ACTION),
    "api:changes:change-journal": _api(**LISTING),
    "api:changes:change-comments": _api(**ACTION),
    "api:changes:change-timeline": _api(**LISTING),
    # GET lists the files; POST takes multipart only (415 for the matrix's JSON body)
    "api:changes:change-attachments": _api(post=415, patch=405),
    # GET lists the links, POST links
    "api:changes:change-problems": _api(post=400, patch=405),
    "api:changes:change-unlink-problem": _api(**ACTION),
    "api:changes:change-incidents": _api(post=400, patch=405),
    "api:changes:change-unlink-incident": _api(**ACTION),
    "api:changes:change-attachment-download": Entry(read=STAFF, write=NOBODY, target="change_attachment"),
}


def targets(people, base):
    from changes.services.records import change_attach
    from incidents import services as incident_services
    from tests.changes.factories import make_change

    agent = people["agent"]
    change = make_change(agent, short_description="Matrix change")
    upload = SimpleUploadedFile("matrix.txt", b"matrix", content_type="text/plain")
    saved = incident_services.saved_filter_create(actor=agent, name="matrix", query="queue=open",
                                                  list_name="changes")
    return {
        "change": change,
        "change_attachment": change_attach(actor=agent, change=change, upload=upload),
        "change_saved_filter": saved,
    }
