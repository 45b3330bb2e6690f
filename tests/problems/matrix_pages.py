"""Permission-matrix entries of the problem pages (merged by tests/itsm/test_permission_matrix.py,
after tests/problems/matrix_api.py, whose targets "problem" and "problem_task" these use).

Staff read the problem pages (auditors included); problem workers (agents, team leads, problem
managers, administrators) log, edit, link and investigate; the manager's work view is for
problem managers, administrators and auditors. Requesters get 403. The incident page's problem
panel posts its actions to /problems/incidents/<incident>/...: refused input goes back to the
incident page with a message. Pages that only take a POST answer GET with 405.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.incidents.matrix_entry import NOBODY, STAFF_PEOPLE, WORKING_PEOPLE, Entry, Redirect, by_role

PROBLEM_PEOPLE = WORKING_PEOPLE | {"problem_manager"}
MANAGER_VIEW = frozenset({"problem_manager", "administrator", "auditor"})
BACK_TO_INCIDENT = Redirect("/incidents/{incident}/#problem-panel")


def _action(post, target="problem"):
    return Entry(read=NOBODY, write=PROBLEM_PEOPLE, target=target, browser=True, post=post)


ENTRIES = {
    "problem_list": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "problem_create": Entry(read=PROBLEM_PEOPLE, write=PROBLEM_PEOPLE, browser=True, post=200),
    # Nothing ticked: back to the incident queue with a message.
    "problem_from_incidents": Entry(read=NOBODY, write=PROBLEM_PEOPLE, browser=True, post=Redirect("/incidents/")),
    "problem_manager": Entry(read=MANAGER_VIEW, write=NOBODY, browser=True),
    "problem_incident_search": Entry(read=STAFF_PEOPLE, write=NOBODY, browser=True),
    "problem_incident_link": _action(BACK_TO_INCIDENT, target="incident"),
    "problem_incident_waive": Entry(read=NOBODY, write=PROBLEM_PEOPLE, target="incident", browser=True,
                                    post=BACK_TO_INCIDENT),
    "problem_incident_unlink": _action(Redirect("/problems/{problem}/"), target="problem_link"),
    "problem_task_finish": _action(400, target="problem_task"),
    "problem_attachment_download": Entry(read=STAFF_PEOPLE, write=NOBODY, target="problem_attachment",
                                         browser=True),
    "problem_detail": Entry(read=STAFF_PEOPLE, write=NOBODY, target="problem", browser=True),
    "problem_update": Entry(read=PROBLEM_PEOPLE, write=PROBLEM_PEOPLE, target="problem", browser=True, post=200),
    # No step named: refused with a message on the problem's page.
    "problem_transition": _action(Redirect("/problems/{problem}/")),
    "problem_comment": _action(400),
    "problem_attach": _action(400),
    "problem_link_incidents": _action(400),
    "problem_task_create": _action(400),
    "problem_saved_filter_create": Entry(read=NOBODY, write=PROBLEM_PEOPLE, browser=True,
                                         post=Redirect("/problems/")),
    # Another person's filter is "not found" (404): allowed past the role check, changes nothing.
    "problem_saved_filter_delete": Entry(read=NOBODY, write=PROBLEM_PEOPLE, target="problem_saved_filter",
                                         browser=True, post=by_role(404, agent=Redirect("/problems/"))),
}


def targets(people, base):
    from problems import services
    from tests.incidents.factories import make_incident

    agent, problem = people["agent"], base["problem"]
    [link] = services.problem_link_incidents(actor=agent, problem=problem, incidents=[make_incident(agent)])
    upload = SimpleUploadedFile("matrix.txt", b"matrix", content_type="text/plain")
    from incidents import services as incident_services

    saved = incident_services.saved_filter_create(actor=agent, name="matrix", query="queue=open",
                                                  list_name="problems")
    return {
        "problem_saved_filter": saved,
        "problem_link": link,
        "problem_attachment": services.problem_attach(actor=agent, problem=problem, upload=upload),
    }
