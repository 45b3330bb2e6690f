"""Permission-matrix entries of the problem API URLs (merged by tests/itsm/test_permission_matrix.py).

ENTRIES: {url name: Entry}; targets(people, base): the objects whose pk fills the URLs.

Staff read everything of problems (auditors and read-only tokens included); requesters nothing.
Problem workers (agents, team leads, problem managers, administrators) log, edit, link and
investigate; the services refuse the steps that are the problem managers' (tested in
tests/problems/test_api.py). Applying a workaround is incident work (not the problem manager's);
a major incident's waiver is recorded by incident workers and problem managers; administrators
keep the root-cause categories.
"""

from tests.incidents.matrix_entry import ADMINS, STAFF, WORKERS, Entry

PROBLEM_WORKERS = WORKERS | {"problem_manager"}
WAIVERS = WORKERS | {"problem_manager"}  # incident workers and problem managers


def _problem(write=PROBLEM_WORKERS, **expected):
    return Entry(read=STAFF, write=write, target="problem", **expected)


ACTION = {"get": 405, "post": 400, "patch": 405}  # a POST-only action of one problem
LISTING = {"post": 405, "patch": 405}  # a GET-only action of one problem

ENTRIES = {
    "api:problems:problem-list": Entry(read=STAFF, write=PROBLEM_WORKERS, post=400),
    "api:problems:problem-from-incidents": Entry(read=STAFF, write=PROBLEM_WORKERS, get=405, post=400),
    "api:problems:problem-detail": _problem(post=405, patch=428),
    "api:problems:problem-transitions": _problem(**LISTING),
    "api:problems:problem-transition": _problem(**ACTION),
    "api:problems:problem-journal": _problem(**LISTING),
    "api:problems:problem-comments": _problem(**ACTION),
    "api:problems:problem-assign": _problem(**ACTION),
    # GET lists the links, POST links incidents
    "api:problems:problem-incidents": _problem(post=400, patch=405),
    "api:problems:problem-unlink-incident": _problem(**ACTION),
    "api:problems:problem-apply-workaround": _problem(write=WORKERS, **ACTION),
    # GET lists the tasks, POST adds one
    "api:problems:problem-tasks": _problem(post=400, patch=405),
    "api:problems:problem-task-list": Entry(read=STAFF, write=PROBLEM_WORKERS, post=405),
    "api:problems:problem-task-detail": Entry(read=STAFF, write=PROBLEM_WORKERS, target="problem_task", post=405,
                                              patch=428),
    "api:problems:problem-task-finish": Entry(read=STAFF, write=PROBLEM_WORKERS, target="problem_task", **ACTION),
    "api:problems:incident-link-list": Entry(read=STAFF, write=PROBLEM_WORKERS, post=405),
    "api:problems:waiver-list": Entry(read=STAFF, write=WAIVERS, post=400),
    "api:problems:waiver-detail": Entry(read=STAFF, write=WAIVERS, target="waiver", post=405, patch=405),
    "api:problems:root-cause-category-list": Entry(read=STAFF, write=ADMINS, post=400),
    "api:problems:root-cause-category-detail": Entry(read=STAFF, write=ADMINS, target="root_cause_category",
                                                     post=405, patch=200),
}


def targets(people, base):
    from incidents import services as incident_services
    from problems import services
    from tests.incidents.factories import make_incident
    from tests.problems.factories import make_problem

    agent, lead = people["agent"], people["team_lead"]
    problem = make_problem(agent, short_description="Matrix problem")
    major = incident_services.incident_promote_major(actor=lead, incident=make_incident(agent), reason="Matrix")
    return {
        "problem": problem,
        "problem_task": services.problem_task_create(actor=agent, problem=problem,
                                                     data={"short_description": "Matrix task"}),
        "waiver": services.major_incident_waive_problem(actor=agent, incident=major, reason="Matrix"),
        "root_cause_category": services.root_cause_category_create(actor=people["administrator"],
                                                                   data={"name": "Matrix cause"}),
    }
