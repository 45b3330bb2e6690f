"""Permission-matrix entries of the incident agent URLs (merged by tests/itsm/test_permission_matrix.py).

ENTRIES: {url name: Entry}; targets(people, base): extra objects whose pk fills the URLs,
given the people of the matrix and the shared targets ("incident": caller m-requester).

Staff read the service desk's pages (auditors too); agents, team leads and administrators
work incidents; requesters use the portal and are refused here, except for downloading an
attachment of their own incident. Pages that only take a POST answer GET with 405.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.incidents.matrix_entry import NOBODY, PEOPLE, STAFF_PEOPLE, WORKING_PEOPLE, Entry, Redirect, by_role

ENTRIES = {
    "incident_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "incident_create": Entry(read=WORKING_PEOPLE, write=WORKING_PEOPLE, browser=True, post=200),
    "incident_bulk": Entry(read=NOBODY, write=WORKING_PEOPLE, browser=True, post=Redirect("/incidents/")),
    "incident_duplicates": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "incident_caller_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "incident_ci_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "incident_saved_filter_create": Entry(read=NOBODY, write=WORKING_PEOPLE, browser=True,
                                          post=Redirect("/incidents/")),
    # Another person's filter is "not found" (404): allowed past the role check, changes nothing.
    "incident_saved_filter_delete": Entry(read=NOBODY, write=WORKING_PEOPLE, target="saved_filter", browser=True,
                                          post=by_role(404, agent=Redirect("/incidents/"))),
    # The matrix requester is the incident's caller: their own attachment.
    "incident_attachment_download": Entry(read=PEOPLE, write=NOBODY, target="attachment", browser=True),
    "incident_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="incident", browser=True),
    "incident_update": Entry(read=WORKING_PEOPLE, write=WORKING_PEOPLE, target="incident", browser=True, post=200),
    "incident_transition": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True,
                                 post=Redirect("/incidents/{incident}/")),
    "incident_assign": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True, post=400),
    "incident_assign_to_me": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True,
                                   post=Redirect("/incidents/{incident}/")),
    "incident_comment": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True, post=400),
    "incident_attach": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True, post=400),
    "incident_major": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True, post=400),
    # Not a major incident: refused with a message on its page.
    "incident_communicate": Entry(read=NOBODY, write=WORKING_PEOPLE, target="incident", browser=True,
                                  post=Redirect("/incidents/{incident}/")),
}


def targets(people, base):
    from incidents import services

    incident = base["incident"]
    attachment = services.incident_attach(actor=people["agent"], incident=incident,
                                          upload=SimpleUploadedFile("log.txt", b"matrix", content_type="text/plain"))
    saved = services.saved_filter_create(actor=people["agent"], name="matrix", query="queue=open")
    return {"attachment": attachment, "saved_filter": saved}
