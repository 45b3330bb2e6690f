"""Permission-matrix entries of the incident portal, report and settings URLs (merged by
tests/itsm/test_permission_matrix.py).

ENTRIES: {url name: Entry}; targets(people, base): extra objects whose pk fills the URLs,
given the people of the matrix and the shared targets ("incident": caller m-requester).

The portal is the requesters' alone (staff get 403 there); its POST-only steps answer 405 to
GET. Reports are read by staff; settings are read by staff and changed by administrators.
"""

from tests.incidents.matrix_entry import ADMINS, NOBODY, STAFF, STAFF_PEOPLE, Entry, Redirect

REQUESTER = frozenset({"requester"})

ENTRIES = {
    # self-service portal
    "portal_incident_list": Entry(read=REQUESTER, write=NOBODY, browser=True),
    "portal_incident_create": Entry(read=REQUESTER, write=REQUESTER, browser=True, post=200),
    "portal_incident_detail": Entry(read=REQUESTER, write=NOBODY, target="incident", browser=True),
    "portal_incident_comment": Entry(read=NOBODY, write=REQUESTER, target="incident", browser=True,
                                     post=Redirect("/portal/incidents/{incident}/#comment")),
    "portal_incident_confirm": Entry(read=NOBODY, write=REQUESTER, target="incident", browser=True,
                                     post=Redirect("/portal/incidents/{incident}/")),
    "portal_incident_reopen": Entry(read=NOBODY, write=REQUESTER, target="incident", browser=True,
                                    post=Redirect("/portal/incidents/{incident}/#reopen")),
    "portal_incident_attach": Entry(read=NOBODY, write=REQUESTER, target="incident", browser=True,
                                    post=Redirect("/portal/incidents/{incident}/#attachments")),
    "portal_attachment_download": Entry(read=REQUESTER, write=NOBODY, target="incident_attachment", browser=True),
    # reports
    "incident_reports": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "api:incidents:report-backlog": Entry(read=STAFF, write=NOBODY),
    "api:incidents:report-resolution-times": Entry(read=STAFF, write=NOBODY),
    "api:incidents:report-rates": Entry(read=STAFF, write=NOBODY),
    # settings
    "incident_category_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "incident_category_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "incident_category_update": Entry(read=ADMINS, write=ADMINS, target="incident_category", browser=True, post=200),
    "incident_priority_matrix": Entry(read=STAFF_PEOPLE, write=ADMINS, browser=True, post=400),
    "incident_assignment_rule_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "incident_assignment_rule_create": Entry(read=ADMINS, write=ADMINS, browser=True, post=200),
    "incident_assignment_rule_update": Entry(read=ADMINS, write=ADMINS, target="incident_assignment_rule",
                                             browser=True, post=200),
}


def targets(people, base):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents import services

    admin = people["administrator"]
    return {
        "incident_attachment": services.incident_attach(
            actor=admin, incident=base["incident"],
            upload=SimpleUploadedFile("matrix.txt", b"matrix", content_type="text/plain")),
        "incident_category": services.category_create(actor=admin, name="Portal matrix category"),
        "incident_assignment_rule": services.assignment_rule_create(
            actor=admin, data={"name": "Portal matrix rule", "assignment_group": base["team"]}),
    }
